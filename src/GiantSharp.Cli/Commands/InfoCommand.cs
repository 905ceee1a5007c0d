using System.CommandLine;
using GiantSharp.Config;
using GiantSharp.Data;
using GiantSharp.Model;
using GiantSharp.Offload;
using GiantSharp.Sharing;
using Spectre.Console;

namespace GiantSharp.Cli.Commands;

/// <summary>
/// <c>giant info CONFIG</c>: parameters (stored and per layer), active parameters and FLOPs per token, and
/// the memory of the training state, for the config's Pseudo Giant (first stage's sharing) and Real Giant.
/// Computed analytically (no model is built), so it works for M6-10T's shapes.
/// </summary>
internal static class InfoCommand
{
    /// <summary>Bytes per parameter of fp32 training state: weights 4, gradients 4, AdamW moments 8.</summary>
    private const int WeightBytes = 4, GradBytes = 4, MomentBytes = 8;

    public static Command Create()
    {
        var config = new Argument<string>("config") { Description = "Run config (JSON) or preset name." };
        var set = CommonOptions.Set();
        var vocab = new Option<int?>("--vocab-size") { Description = "Vocabulary size to count when the config says 0 and no prepared corpus is there." };
        var maxMemory = CommonOptions.MaxMemory();
        var command = new Command("info", "Parameter counts, FLOPs per token and training-state memory of a config, pseudo and real; with --max-memory, the plan of every stage.") { config, set, vocab, maxMemory };
        command.SetAction((ParseResult r) =>
        {
            var run = ConfigLoader.Load(ConfigLoader.Resolve(r.GetValue(config)!), CommonOptions.Overrides(r, set, maxMemory));
            var model = run.Model with { VocabSize = ResolveVocab(run, r.GetValue(vocab)) };
            Print(run, model);
            return 0;
        });
        return command;
    }

    internal static int ResolveVocab(RunConfig run, int? overrideVocab)
    {
        if (overrideVocab is { } v) return v;
        if (run.Model.VocabSize > 0) return run.Model.VocabSize;
        var meta = Path.Combine(run.Data.Dir, PreparedCorpus.MetaFileName);
        var images = Path.Combine(run.Data.Dir, Data.Images.ImageTextMeta.FileName);
        return File.Exists(meta) ? CorpusMeta.Read(meta).Tokenizer.VocabSize : File.Exists(images) ? Data.Images.ImageTextMeta.Read(images).Tokenizer.VocabSize : 0;
    }

    private static void Print(RunConfig run, ModelConfig model)
    {
        var n = model.NLayer;
        var pseudoPlan = run.Stages[0].Sharing;
        var pseudo = ModelSize.Of(model, pseudoPlan.UniqueBlocks(n));
        var real = ModelSize.Of(model, n);
        var table = new Table().Title($"{Markup.Escape(run.Name)}: n_layer {n}, d_model {model.DModel}, n_head {model.NHead}, d_ff {model.DFf}, vocab_size {model.VocabSize}, seq_len {model.SeqLen}")
            .AddColumn("").AddColumn(new TableColumn($"pseudo ({Markup.Escape(pseudoPlan.ToString())})").RightAligned()).AddColumn(new TableColumn("real (none)").RightAligned());
        void Row(string name, Func<ModelSize, string> value) => table.AddRow(Markup.Escape(name), value(pseudo), value(real));
        Row("parameters stored", s => Count(s.UniqueParameters));
        Row("unique blocks", s => (s == pseudo ? pseudoPlan.UniqueBlocks(n) : n).ToString());
        table.AddRow("parameters per layer (block)", Count(ModelSize.BlockParameters(model, GptModel.IsMoeLayer(model, 0))), Count(ModelSize.BlockParameters(model, GptModel.IsMoeLayer(model, 0))));
        Row("active parameters per token", s => Count(s.ActiveParametersPerToken));
        Row("training FLOPs per token", s => Count(s.FlopsPerToken));
        Row("weights (fp32)", s => Bytes(s.UniqueParameters * WeightBytes));
        Row("gradients (fp32)", s => Bytes(s.UniqueParameters * GradBytes));
        Row("AdamW moments (fp32 m, v)", s => Bytes(s.UniqueParameters * MomentBytes));
        Row("training state total", s => Bytes(s.UniqueParameters * (WeightBytes + GradBytes + MomentBytes)));
        AnsiConsole.Write(table);
        if (model.VocabSize == 0)
            AnsiConsole.MarkupLine("[yellow]vocab_size is 0 and no prepared corpus was found: embeddings are not counted (pass --vocab-size).[/]");
        var resources = MachineResources.Probe(run.Offload?.Dir ?? run.OutDir);   // without a disk tier, the drive the run writes its checkpoints to
        AnsiConsole.MarkupLine($"this machine: {Bytes(resources.MemoryAvailableBytes)} of memory available, {Bytes(resources.DiskFreeBytes)} free disk at {Markup.Escape(resources.DiskPath ?? "?")}; the resident Real Giant's training state needs {Bytes(real.UniqueParameters * 16)} plus activations.");
        if (run.Offload is { MaxMemory: not null }) PrintPlans(run with { Model = model });
        else if (run.Offload is { } offload) PrintOffload(model, offload, resources);
    }

    /// <summary>The memory planner's decision for every stage, as <c>giant train</c> would make it.</summary>
    private static void PrintPlans(RunConfig run)
    {
        if (run.Model.VocabSize == 0) return;
        for (int si = 0; si < run.Stages.Count; si++)
        {
            var stage = run.Stages[si];
            try
            {
                var plan = Offload.Planning.StageOffload.Plan(run, si, stage.Sharing.LayerMap(run.Model.NLayer))!;
                AnsiConsole.MarkupLine($"stage [green]{Markup.Escape(stage.Name)}[/] ({Markup.Escape(stage.Sharing.ToString())}, micro_batch {stage.MicroBatch}): {Markup.Escape(plan.Summary())}");
            }
            catch (Errors.ConfigException e)
            {
                AnsiConsole.MarkupLine($"stage [green]{Markup.Escape(stage.Name)}[/]: [red]does not fit[/]: {Markup.Escape(e.Message)}");
            }
        }
    }

    private static void PrintOffload(ModelConfig model, OffloadConfig offload, MachineResources resources)
    {
        var fp = OffloadAccounting.Footprint(model, SharingPlan.None, offload);
        var table = new Table().Title($"Real Giant with offload ({Markup.Escape(offload.Summary())})")
            .AddColumn("tier").AddColumn(new TableColumn("params").RightAligned()).AddColumn(new TableColumn("grads").RightAligned())
            .AddColumn(new TableColumn("moments").RightAligned()).AddColumn(new TableColumn("staging").RightAligned()).AddColumn(new TableColumn("total").RightAligned());
        foreach (var (name, t) in new[] { ("device", fp.Device), ("host", fp.Host), ("disk", fp.Disk) })
            table.AddRow(name, Bytes(t.Params), Bytes(t.Grads), Bytes(t.Moments), Bytes(t.Staging), Bytes(t.Total));
        AnsiConsole.Write(table);
        var fit = OffloadAccounting.LargestFitting(model, SharingPlan.None, offload, resources);
        AnsiConsole.MarkupLine(fit is null
            ? "[yellow]no depth of this width fits this machine with this offload plan[/]"
            : $"largest Real Giant of this width that fits this machine with this plan: n_layer {fit.NLayer}, {Count(fit.Parameters)} parameters");
    }

    internal static string Count(long n) => n switch
    {
        >= 1_000_000_000_000 => $"{n / 1e12:F2} T",
        >= 1_000_000_000 => $"{n / 1e9:F2} G",
        >= 1_000_000 => $"{n / 1e6:F2} M",
        >= 1_000 => $"{n / 1e3:F1} k",
        _ => n.ToString(),
    };

    private static string Bytes(long b) => b switch
    {
        >= 1L << 40 => $"{b / (double)(1L << 40):F2} TiB",
        >= 1L << 30 => $"{b / (double)(1L << 30):F2} GiB",
        >= 1L << 20 => $"{b / (double)(1L << 20):F1} MiB",
        _ => $"{b / 1024.0:F1} KiB",
    };
}
