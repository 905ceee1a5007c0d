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
/// the memory of the training state, for the config's Pseudo Giant (first stage's sharing) and Real Giant; then, per
/// stage, the activations of its micro-batch and whether it fits: resident, streaming layers from disk (the plan
/// <c>giant train</c> would use, from the memory planner, under <c>--max-memory</c>), or not at all (with the smallest
/// budget that would do). Computed analytically (no model is built), so it works for M6-10T's shapes.
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
        var dir = new Option<string?>("--dir") { Description = "Folder of the disk tier (sets offload.dir; needs --max-memory or an offload section): free disk is measured there." };
        var command = new Command("info", "Parameter counts, FLOPs per token and training-state memory of a config, pseudo and real; per stage, activations and whether it fits (with --max-memory, the plan giant train would use).")
        {
            config, set, vocab, maxMemory, dir,
        };
        command.SetAction((ParseResult r) =>
        {
            var path = ConfigLoader.Resolve(r.GetValue(config)!);
            var overrides = CommonOptions.Overrides(r, set, maxMemory);
            if (r.GetValue(dir) is { } folder)
            {
                if (ConfigLoader.Load(path, overrides).Offload is null)
                    throw new Errors.ConfigException("--dir", "is the disk tier's folder; give --max-memory too (or use a config with an offload section)");
                overrides.Add($"offload.dir={folder}");
            }
            var run = ConfigLoader.Load(path, overrides);
            var model = run.Model with { VocabSize = ResolveVocab(run, r.GetValue(vocab)) };
            Print(run with { Model = model });
            return 0;
        });
        return command;
    }

    /// <summary>vocab_size: the option, the config, the prepared corpus's tokenizer, or the tokenizer the config names where its size is fixed (byte, gpt2); 0 when unknown.</summary>
    internal static int ResolveVocab(RunConfig run, int? overrideVocab)
    {
        if (overrideVocab is { } v) return v;
        if (run.Model.VocabSize > 0) return run.Model.VocabSize;
        var meta = Path.Combine(run.Data.Dir, PreparedCorpus.MetaFileName);
        var images = Path.Combine(run.Data.Dir, Data.Images.ImageTextMeta.FileName);
        if (File.Exists(meta)) return CorpusMeta.Read(meta).Tokenizer.VocabSize;
        if (File.Exists(images)) return Data.Images.ImageTextMeta.Read(images).Tokenizer.VocabSize;
        return run.Data.Tokenizer is "byte" or "gpt2" ? TokenizerFactory.Create(run.Data.Tokenizer, []).VocabSize : 0;
    }

    private static void Print(RunConfig run)
    {
        var model = run.Model;
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
            AnsiConsole.MarkupLine("[yellow]vocab_size is 0 and no prepared corpus was found: embeddings and the head's logits are not counted (pass --vocab-size).[/]");
        // Free disk where the store would go: offload.dir (its nearest existing folder); without a disk tier, the drive of out_dir.
        var resources = MachineResources.Probe(run.Offload?.Dir ?? run.OutDir);
        var measured = resources.MeasuredAt == resources.DiskPath ? "" : $" (measured at {Markup.Escape(resources.MeasuredAt ?? "?")}, the nearest existing folder)";
        AnsiConsole.MarkupLine($"this machine: {Bytes(resources.MemoryAvailableBytes)} of memory available; {Bytes(resources.DiskFreeBytes)} free disk at " +
            $"{Markup.Escape(resources.DiskPath ?? "?")}{measured}, {(run.Offload?.Dir is null ? "the run's out_dir" : "where the disk tier's files would go")}.");
        AnsiConsole.MarkupLine(Offload.Planning.StageOffload.DeviceIsCpu(run)
            ? "device cpu: device and host are the same memory, so the budget (max_memory) covers the host tier as well."
            : $"device {Markup.Escape(run.Device)}: the budget (max_memory) counts device memory; the host tier is apart from it.");
        if (run.Offload is { MaxMemory: null } offload) PrintOffload(model, offload, resources);
        PrintStages(run, resources);
    }

    /// <summary>Per stage: the activations of its micro-batch and whether it fits, as <c>giant train</c> would plan it.</summary>
    private static void PrintStages(RunConfig run, MachineResources resources)
    {
        var budget = run.Offload?.MaxMemory is { } b ? $"max_memory {ByteSize.Format(b)}" : $"this machine's {Bytes(resources.MemoryAvailableBytes)} available (no --max-memory)";
        AnsiConsole.MarkupLine($"per stage, against {Markup.Escape(budget)}:");
        for (int si = 0; si < run.Stages.Count; si++)
        {
            var stage = run.Stages[si];
            var fit = Offload.Planning.StageFit.Of(run, si, resources);
            var verdict = run.Offload is { MaxMemory: null } && run.IsOffloaded(si) ? "offloaded by the offload section's tiers (table above)" : fit.Describe(run.Model.NLayer);
            var color = fit.Verdict switch { Offload.Planning.FitVerdict.Resident => "green", Offload.Planning.FitVerdict.Streams => "yellow", _ => "red" };
            AnsiConsole.MarkupLine($"  stage [bold]{Markup.Escape(stage.Name)}[/] ({Markup.Escape(stage.Sharing.ToString())}): activations {Bytes(fit.ActivationBytes)} " +
                $"for micro_batch {stage.MicroBatch} x seq_len {run.Model.SeqLen}; resident it needs {Bytes(fit.ResidentBytes)}; [{color}]{Markup.Escape(verdict)}[/]");
        }
        if (run.Offload?.MaxMemory is null && run.Offload is null)
            AnsiConsole.MarkupLine("give --max-memory SIZE (and --dir FOLDER) to see the plan giant train would use under that budget.");
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

    internal static string Bytes(long b) => b switch
    {
        >= 1L << 40 => $"{b / (double)(1L << 40):F2} TiB",
        >= 1L << 30 => $"{b / (double)(1L << 30):F2} GiB",
        >= 1L << 20 => $"{b / (double)(1L << 20):F1} MiB",
        _ => $"{b / 1024.0:F1} KiB",
    };
}
