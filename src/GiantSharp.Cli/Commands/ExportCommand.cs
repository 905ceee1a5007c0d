using System.CommandLine;
using GiantSharp.Checkpointing;
using GiantSharp.Data;
using GiantSharp.Errors;
using GiantSharp.Interop;

namespace GiantSharp.Cli.Commands;

/// <summary><c>giant export CHECKPOINT --format hf --out DIR</c>: a dense checkpoint as a Hugging Face GPT-2 folder.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var checkpoint = new Argument<string>("checkpoint") { Description = "Checkpoint, or run folder (its latest checkpoint); an offloaded one is read whole." };
        var format = new Option<string>("--format") { Description = "Output format: hf (Hugging Face GPT-2: config.json + model.safetensors).", Required = true };
        var output = new Option<string>("--out") { Description = "Folder to write config.json and model.safetensors into.", Required = true };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace an earlier export in --out." };
        var command = new Command("export", "Write a dense, unshared checkpoint as a Hugging Face GPT-2 folder (transformers' GPT2LMHeadModel).")
        {
            checkpoint, format, output, overwrite,
        };
        command.SetAction((ParseResult r) =>
        {
            if (r.GetValue(format) != "hf") throw new ConfigException("--format", $"must be hf, got '{r.GetValue(format)}'");
            var dir = r.GetValue(output)!;
            if (!r.GetValue(overwrite) && (File.Exists(Path.Combine(dir, HfGpt2Export.WeightsFile)) || File.Exists(Path.Combine(dir, HfGpt2Export.ConfigFile))))
                throw new RunFolderInUseException(dir, $"already holds {HfGpt2Export.WeightsFile} or {HfGpt2Export.ConfigFile}; give --overwrite to replace them (nothing was changed)");
            var (state, config) = CheckpointStore.ReadState(CheckpointStore.Resolve(r.GetValue(checkpoint)!));
            HfGpt2Export.CheckExportable(config.Model, state.LayerToBlock);          // before reading the weights
            using var ckpt = LoadedCheckpoint.Open(r.GetValue(checkpoint)!);
            HfGpt2Export.Write(ckpt.Model, TokenizerFactory.ToSpec(ckpt.Tokenizer), dir);
            var m = ckpt.Config.Model;
            Console.WriteLine($"exported {ckpt.Directory} (step {ckpt.State.GlobalStep}) as GPT-2: n_layer {m.NLayer}, n_head {m.NHead}, n_embd {m.DModel}, n_inner {m.DFf}, vocab_size {m.VocabSize}, n_positions {m.SeqLen}, activation_function {HfGpt2Config.ActivationName(m.Activation)}");
            Console.WriteLine($"wrote {Path.Combine(dir, HfGpt2Export.ConfigFile)} and {Path.Combine(dir, HfGpt2Export.WeightsFile)}");
            return 0;
        });
        return command;
    }
}
