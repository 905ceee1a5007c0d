using System.CommandLine;
using GiantSharp.Checkpointing;
using GiantSharp.Errors;
using GiantSharp.Sharing;
using static TorchSharp.torch;

namespace GiantSharp.Cli.Commands;

/// <summary><c>giant delink IN OUT</c>: offline delinking of a Pseudo Giant checkpoint into a Real Giant checkpoint.</summary>
internal static class DelinkCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("in") { Description = "Checkpoint (or run folder) of a model with shared layers." };
        var output = new Argument<string>("out") { Description = "Folder for the delinked checkpoint (a checkpoint store: OUT/step-N, OUT/latest)." };
        var mode = new Option<string>("--optimizer-state")
        {
            Description = "How AdamW moments follow the weights: copy, scale or reset (see docs/delinking.md). Default: the checkpoint config's delink.optimizer_state.",
        };
        var command = new Command("delink", "Give every layer of a shared (Pseudo Giant) checkpoint its own copy of the weights and optimizer state.")
        {
            input, output, mode,
        };
        command.SetAction((ParseResult r) =>
        {
            var store = new CheckpointStore(r.GetValue(output)!);
            if (store.HasCheckpoints())
                throw new RunFolderInUseException(store.Root, "already holds checkpoints; delink into a new folder (nothing there was changed)");
            using var ckpt = LoadedCheckpoint.Open(r.GetValue(input)!);
            var how = ParseMode(r.GetValue(mode)) ?? ckpt.Config.Delink.OptimizerState;
            using var optimizer = ckpt.LoadOptimizer();
            using var scope = NewDisposeScope();
            var probe = randint(0, ckpt.Config.Model.VocabSize, [2, ckpt.Config.Model.SeqLen], dtype: ScalarType.Int64, generator: new Generator().manual_seed(0));
            Tensor before;
            using (no_grad()) before = ckpt.Model.call(probe);
            var uses = Delinker.Delink(ckpt.Model, optimizer, how);
            double diff;
            using (no_grad()) diff = ckpt.Model.call(probe).sub(before).abs().max().item<float>();
            var state = ckpt.State with { LayerToBlock = ckpt.Model.Layers.LayerToBlock.ToArray() };
            var path = store.Save(ckpt.Model, optimizer, state, keep: 1);
            var unique = ckpt.Model.parameters().Sum(p => p.numel());
            Console.WriteLine($"delinked {string.Join(", ", uses.Select((n, b) => $"block {b} x{n}"))} -> {ckpt.Model.Layers.NumLayers} layers, {unique:N0} parameters; optimizer state: {how.ToString().ToLowerInvariant()}");
            Console.WriteLine($"max |logit difference| on a probe batch: {diff:E2}");
            Console.WriteLine($"wrote {path}");
            return 0;
        });
        return command;
    }

    /// <summary>Parses copy/scale/reset (null when absent).</summary>
    /// <exception cref="ConfigException">Another word.</exception>
    public static OptimizerStateDelink? ParseMode(string? text) => text switch
    {
        null => null,
        _ when Enum.TryParse<OptimizerStateDelink>(text, ignoreCase: true, out var m) => m,
        _ => throw new ConfigException("--optimizer-state", $"must be copy, scale or reset, got '{text}'"),
    };
}
