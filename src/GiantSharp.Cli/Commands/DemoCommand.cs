using System.CommandLine;
using GiantSharp.Config;
using GiantSharp.Experiments;
using GiantSharp.Sharing;
using Spectre.Console;

namespace GiantSharp.Cli.Commands;

/// <summary>
/// <c>giant demo</c>: the main job. On a real corpus, (a) Pseudo Giant -> delink -> Real Giant against
/// (b) the same Real Giant from scratch. With a preset that sets <c>offload.max_memory</c> (the default, m6-budget),
/// the memory-bound comparison under one wall-clock budget (<see cref="BudgetDemo"/>); otherwise at equal steps,
/// batches, tokens and LR schedule, printing a sample from each final model. Both write curves.csv, curves.png and
/// summary.md.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var preset = new Option<string>("--preset")
        {
            Description = "Demo preset: m6-budget (default: the memory-bound comparison, English fortunes, max_memory 1GiB), demo-tang (Tang/Song poems, equal steps), " +
                "demo-english (fortunes, equal steps), demo-tang-offload (the Real Giant streamed from disk), m6-moe-tiny (MoE), m6-fashion (M6 images and text: clothes), or a config path.",
            DefaultValueFactory = _ => "m6-budget",
        };
        var seconds = new Option<double>("--seconds") { Description = "Memory-bound presets: seconds of training per run (eval excluded).", DefaultValueFactory = _ => 240 };
        var pseudoShare = new Option<string>("--switch")
        {
            Description = "Share of (a)'s training spent as the Pseudo Giant before delinking; several, comma-separated, run (a) once each against one (b) per seed. " +
                "Memory-bound presets: shares of the training time in [0, 1) (default 0.5). Equal-steps presets: shares of the steps in (0, 1), or 'auto' (delink.when auto, " +
                "at most the preset's own split); default: the preset's split, one run.",
            DefaultValueFactory = _ => "0.5",
        };
        var seeds = new Option<int>("--seeds") { Description = "Seeds to run, each with its own (b) and (a) per switch point; the first is the config's seed.", DefaultValueFactory = _ => 1 };
        var maxMemory = CommonOptions.MaxMemory();
        var precision = CommonOptions.Precision();
        var output = new Option<string?>("--out") { Description = "Output folder (default runs/demo/PRESET). A demo's earlier output there is replaced; a folder holding a giant train run or other files is refused." };
        var modes = new Option<string?>("--delink-modes") { Description = "Also run (a) with these optimizer-state delink modes, e.g. copy,scale,reset (each adds a run)." };
        var prompt = new Option<string>("--prompt") { Description = "Prompt of the samples printed at the end (default: none, a new document).", DefaultValueFactory = _ => "" };
        var extend = new Option<int>("--extend")
        {
            Description = "Let the Pseudo-to-Real runs train up to this many extra steps at the final LR, stopping at the first eval at or below the from-scratch run's final val loss (time to target; the from-scratch run trains first).",
            DefaultValueFactory = _ => 0,
        };
        var set = CommonOptions.Set();
        var threads = CommonOptions.Threads();
        var command = new Command("demo", "The main job: Pseudo-to-Real vs from-scratch training on a real corpus, measured.")
        {
            preset, output, modes, prompt, extend, set, threads, seconds, pseudoShare, seeds, maxMemory, precision,
        };
        command.SetAction((ParseResult r) =>
        {
            CommonOptions.Apply(r.GetValue(threads), "cpu");
            var presetName = r.GetValue(preset)!;
            var path = ConfigLoader.Resolve(presetName);
            var baseRun = ConfigLoader.Load(path, CommonOptions.Overrides(r, set, maxMemory, precision));
            var outDir = r.GetValue(output) ?? DefaultOut(path);
            RunFolder.ClaimForDemo(outDir);
            if (MultimodalDemo.Applies(baseRun))
            {
                if (r.GetValue(extend) > 0 || r.GetValue(modes) is not null) throw new Errors.ConfigException("--extend", "--extend and --delink-modes are for the text demos");
                MultimodalDemo.Run(baseRun, outDir, path);
                return 0;
            }
            if (baseRun.Offload?.MaxMemory is not null)
            {
                if (r.GetValue(seconds) is var s and (<= 0 or double.NaN)) throw new Errors.ConfigException("--seconds", $"must be > 0, got {s}");
                CommonOptions.AtLeast(r, seeds, 1);
                if (baseRun.Stages.Count != 2) throw new Errors.ConfigException("stages", $"the memory-bound demo needs two stages (Pseudo Giant, Real Giant), got {baseRun.Stages.Count}");
                BudgetDemo.Run(baseRun, path, outDir, r.GetValue(seconds), Switches(r.GetValue(pseudoShare)!), r.GetValue(seeds));
                return 0;
            }
            CommonOptions.AtLeast(r, seeds, 1);
            if (r.GetResult(pseudoShare) is { Implicit: false } || r.GetValue(seeds) > 1)
            {
                if (r.GetValue(extend) > 0 || r.GetValue(modes) is not null) throw new Errors.ConfigException("--switch", "a switch sweep (--switch or --seeds) cannot be combined with --extend or --delink-modes");
                var ownShare = baseRun.Stages.Count > 0 ? baseRun.Stages[0].Steps / (double)Math.Max(1, baseRun.TotalSteps) : 0.5;
                var points = r.GetResult(pseudoShare) is { Implicit: false } ? SwitchPoint.Parse(r.GetValue(pseudoShare)!, ownShare) : [new SwitchPoint(ownShare, false)];
                SwitchSweep.Run(baseRun, path, outDir, points, r.GetValue(seeds));
                return 0;
            }
            if (r.GetValue(extend) < 0) throw new Errors.ConfigException("--extend", $"must be >= 0 steps, got {r.GetValue(extend)}");
            Run(baseRun, outDir, DelinkModes(r.GetValue(modes), baseRun.Delink.OptimizerState), path, r.GetValue(prompt)!, r.GetValue(extend));
            return 0;
        });
        return command;
    }

    /// <summary>The demo's own folder for a preset: <c>runs/demo/PRESET</c>, apart from the preset's out_dir, where <c>giant train</c> writes.</summary>
    public static string DefaultOut(string presetPath) => Path.Combine("runs", "demo", Path.GetFileNameWithoutExtension(presetPath));

    private static void Run(RunConfig baseRun, string outDir, IReadOnlyList<OptimizerStateDelink> extraModes, string presetPath, string samplePrompt, int extend)
    {
        var runs = new List<(RunConfig Config, EvalCurve Curve)>();
        var a = baseRun with { Name = "pseudo-to-real", OutDir = Path.Combine(outDir, "pseudo-to-real") };
        runs.Add((a, new EvalCurve($"pseudo-to-real ({a.Delink.OptimizerState.ToString().ToLowerInvariant()})")));
        foreach (var m in extraModes)
        {
            var name = $"pseudo-to-real-{m.ToString().ToLowerInvariant()}";
            runs.Add((a with { Name = name, OutDir = Path.Combine(outDir, name), Delink = new DelinkConfig { OptimizerState = m } },
                new EvalCurve($"pseudo-to-real ({m.ToString().ToLowerInvariant()})")));
        }
        var b = PseudoToRealComparison.FromScratch(baseRun, Path.Combine(outDir, "scratch")) with { Name = "scratch" };
        runs.Add((b, new EvalCurve("from scratch")));

        AnsiConsole.MarkupLine($"[bold]GiantSharp demo[/]: {Markup.Escape(presetPath)}: {baseRun.Model.NLayer} layers, d_model {baseRun.Model.DModel}, " +
            $"{baseRun.TotalSteps} steps per run; stages {Markup.Escape(string.Join(" -> ", baseRun.Stages.Select(s => $"{s.Name} ({s.Sharing}, {s.Steps})")))}");
        if (extend == 0)
            foreach (var (config, curve) in runs)
                TrainCommand.Train(config, extra: [curve], label: curve.Name);
        else
        {
            // Time to target: the baseline first, then each Pseudo-to-Real run until it reaches the baseline's final val loss.
            var (baseline, baseCurve) = runs[^1];
            TrainCommand.Train(baseline, extra: [baseCurve], label: baseCurve.Name);
            var target = baseCurve.Points[^1].ValLoss;
            AnsiConsole.MarkupLine($"target: val loss {target:F4}; Pseudo-to-Real runs may train up to {extend} extra steps at the final LR");
            for (int i = 0; i < runs.Count - 1; i++)
            {
                var (config, curve) = runs[i];
                var stop = new TargetLossStop(target);
                runs[i] = (TargetLossStop.Extend(config, extend), curve);
                TrainCommand.Train(runs[i].Config, extra: [curve, stop], label: curve.Name, cancel: stop.Token);
            }
        }

        var curves = runs.Select(x => x.Curve).ToList();
        var rows = PseudoToRealComparison.Report(curves);
        var table = new Table().Title("Pseudo-to-Real vs from scratch (validation loss, nats/token)").AddColumn("measure");
        foreach (var c in curves) table.AddColumn(Markup.Escape(c.Name));
        foreach (var row in rows) table.AddRow(row.Values.Prepend(row.Measure).Select(Markup.Escape).ToArray());
        AnsiConsole.Write(table);

        File.WriteAllText(Path.Combine(outDir, "curves.csv"), PseudoToRealComparison.ToCsv(curves));
        Plots.ValidationCurves(curves, $"{baseRun.Name}: Pseudo-to-Real vs from scratch", Path.Combine(outDir, "curves.png"));
        File.WriteAllText(Path.Combine(outDir, "summary.md"), Markdown(baseRun, presetPath, curves, rows, extend));
        Samples.Print(runs.Select(x => (x.Curve.Name, x.Config.OutDir)).ToList(), samplePrompt);
        AnsiConsole.MarkupLine($"wrote {Markup.Escape(Path.Combine(outDir, "curves.csv"))}, curves.png, summary.md");
    }

    private static string Markdown(RunConfig run, string preset, IReadOnlyList<EvalCurve> curves, IReadOnlyList<ComparisonRow> rows, int extend)
    {
        var placement = run.Offload is null ? "no offloading" :
            $"offloaded stages: {string.Join(", ", run.Stages.Where((_, i) => run.IsOffloaded(i)).Select(s => s.Name))} ({run.Offload.Summary()}; the from-scratch run placed like the last stage)";
        var extension = extend > 0 ? $"; Pseudo-to-Real runs may train up to {extend} extra steps at the final LR and stop at the first eval at or below the from-scratch final val loss" : "";
        var lines = new List<string>
        {
            $"Preset `{preset}`, {run.Model.NLayer} layers, d_model {run.Model.DModel}, n_head {run.Model.NHead}, d_ff {run.Model.DFf}, seq_len {run.Model.SeqLen}; " +
            $"stages {string.Join(" -> ", run.Stages.Select(s => $"{s.Name} ({s.Sharing}, {s.Steps} steps, global batch {s.GlobalBatch})"))}; " +
            $"delink optimizer state `{run.Delink.OptimizerState.ToString().ToLowerInvariant()}`; {placement}{extension}; {TorchSharp.torch.get_num_threads()} threads; {DateTime.UtcNow:yyyy-MM-dd}.",
            "",
            "| measure | " + string.Join(" | ", curves.Select(c => c.Name)) + " |",
            "|---|" + string.Concat(curves.Select(_ => "---|")),
        };
        lines.AddRange(rows.Select(r => $"| {r.Measure} | {string.Join(" | ", r.Values)} |"));
        return string.Join("\n", lines) + "\n";
    }

    /// <summary>The --switch values: fractions in [0, 1), comma-separated.</summary>
    /// <exception cref="Errors.ConfigException">One is not such a number.</exception>
    private static List<double> Switches(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) throw new Errors.ConfigException("--switch", "needs at least one share in [0, 1)");
        return parts.Select(p => double.TryParse(p, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var f) && f is >= 0 and < 1
            ? f : throw new Errors.ConfigException("--switch", $"each share must be a number in [0, 1), got '{p}'")).Distinct().ToList();
    }

    private static List<OptimizerStateDelink> DelinkModes(string? text, OptimizerStateDelink primary) =>
        string.IsNullOrWhiteSpace(text) ? [] : text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(t => DelinkCommand.ParseMode(t)!.Value).Where(m => m != primary).Distinct().ToList();
}
