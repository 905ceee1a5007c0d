using System.Globalization;
using System.Text;
using GiantSharp.Config;
using GiantSharp.Experiments;
using GiantSharp.Training;
using Spectre.Console;

namespace GiantSharp.Cli.Commands;

/// <summary>
/// <c>giant demo</c> on a preset with <c>offload.max_memory</c>: the memory-bound comparison (see
/// <see cref="BudgetComparison"/>). Calibrates step times, then per seed trains (b) from scratch once and (a)
/// Pseudo-to-Real once per switch point, all under the same wall-clock budget; prints each table and the verdict,
/// and writes curves.csv, curves.png and summary.md.
/// </summary>
internal static class BudgetDemo
{
    /// <summary>Issue 8's target: (a) reaches (b)'s final val loss in at most this share of (b)'s time.</summary>
    public const double TargetRatio = 0.4;

    private sealed record Result(long Seed, double Switch, EvalCurve A, EvalCurve B);

    public static void Run(RunConfig baseRun, string presetPath, string outDir, double seconds, IReadOnlyList<double> switches, int seeds)
    {
        var budget = Offload.ByteSize.Format(baseRun.Offload!.MaxMemory!.Value);
        AnsiConsole.MarkupLine($"[bold]GiantSharp demo, memory-bound[/]: {Markup.Escape(presetPath)}: {baseRun.Model.NLayer} layers, d_model {baseRun.Model.DModel}, " +
            $"max_memory {budget}; {seconds:F0} s of training per run; Pseudo Giant for {Shares(switches)} of (a)'s");

        var steps = new StepRecorder();
        TrainCommand.Train(BudgetComparison.Calibration(baseRun, Path.Combine(outDir, "calibration")), extra: [steps], label: "calibration");
        var timings = StepTimings.From(steps.Steps);
        var plans = switches.Select(f => BudgetComparison.Steps(timings, seconds, f)).ToList();
        AnsiConsole.MarkupLine($"calibration: {Markup.Escape(timings.ToString())}; " +
            string.Join("; ", switches.Zip(plans, (f, p) => $"switch {Percent(f)}: (a) {p.Pseudo} pseudo + {p.Real} real steps")) + $"; (b) {plans[0].Scratch} steps");

        var results = new List<Result>();
        for (int k = 0; k < seeds; k++)
        {
            long seed = baseRun.Seed + k;
            var curveB = new EvalCurve($"(b) from scratch seed={seed}");
            TrainCommand.Train(BudgetComparison.Runs(baseRun, plans[0], outDir, seed).B, extra: [curveB], label: curveB.Name);
            for (int i = 0; i < switches.Count; i++)
            {
                var a = BudgetComparison.Runs(baseRun, plans[i], Path.Combine(outDir, $"switch-{switches[i]:0.###}"), seed).A;
                var curveA = new EvalCurve($"(a) pseudo-to-real switch={switches[i]:0.###} seed={seed}");
                TrainCommand.Train(a, extra: [curveA], label: curveA.Name);
                results.Add(new Result(seed, switches[i], curveA, curveB));
                PrintTable(curveA, curveB);
            }
        }

        var verdict = Verdict(results);
        AnsiConsole.MarkupLine($"[bold]verdict[/]: {Markup.Escape(verdict)}");
        var curves = results.Select(r => r.A).Concat(results.Select(r => r.B).Distinct()).ToList();
        File.WriteAllText(Path.Combine(outDir, "curves.csv"), PseudoToRealComparison.ToCsv(curves));
        Plots.ValidationCurves(curves, $"{baseRun.Name}: Pseudo-to-Real vs from scratch under max_memory {budget}", Path.Combine(outDir, "curves.png"));
        File.WriteAllText(Path.Combine(outDir, "summary.md"), Markdown(baseRun, presetPath, seconds, timings, switches, plans, results, verdict));
        AnsiConsole.MarkupLine($"wrote {Markup.Escape(Path.Combine(outDir, "curves.csv"))}, curves.png, summary.md");
    }

    private static string Shares(IReadOnlyList<double> switches) => string.Join(", ", switches.Select(Percent));

    private static string Percent(double f) => (100 * f).ToString("0.#", CultureInfo.InvariantCulture) + "%";

    private static void PrintTable(EvalCurve a, EvalCurve b)
    {
        var table = new Table().Title("validation loss (nats/token) against training time").AddColumn("measure").AddColumn(Markup.Escape(a.Name)).AddColumn(Markup.Escape(b.Name));
        foreach (var row in BudgetComparison.Report(a, b)) table.AddRow(row.Values.Prepend(row.Measure).Select(Markup.Escape).ToArray());
        AnsiConsole.Write(table);
    }

    /// <summary>Per switch point: each seed's time ratio, and whether every seed met the target.</summary>
    private static string Verdict(IReadOnlyList<Result> results) => string.Join(" ", results.GroupBy(r => r.Switch).Select(g =>
    {
        var ratios = g.Select(r => (r.Seed, Ratio: BudgetComparison.Ratio(r.A, r.B))).ToList();
        var parts = ratios.Select(x => $"seed {x.Seed}: {(x.Ratio is { } v ? v.ToString("F2", CultureInfo.InvariantCulture) + "x" : "not reached")}");
        bool met = ratios.All(x => x.Ratio is <= TargetRatio);
        return $"Pseudo Giant for {Percent(g.Key)} of the time: Pseudo-to-Real reached the from-scratch run's final val loss in " +
            $"{string.Join(", ", parts)} of the from-scratch run's time; target <= {TargetRatio:F1}x in every seed: {(met ? "met" : "not met")}.";
    }));

    private static string Markdown(RunConfig run, string preset, double seconds, StepTimings t, IReadOnlyList<double> switches, IReadOnlyList<BudgetSteps> plans,
        IReadOnlyList<Result> results, string verdict)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Preset `{preset}`: {run.Model.NLayer} layers, d_model {run.Model.DModel}, n_head {run.Model.NHead}, d_ff {run.Model.DFf}, " +
            $"{(run.Model.Moe is { } m ? $"{m.NumExperts} experts in {m.NumPrototypes} prototypes, " : "")}seq_len {run.Model.SeqLen}, micro_batch {run.Stages[0].MicroBatch}; " +
            $"max_memory {Offload.ByteSize.Format(run.Offload!.MaxMemory!.Value)}; {seconds:F0} s of training per run; " +
            $"{TorchSharp.torch.get_num_threads()} threads; {DateTime.UtcNow:yyyy-MM-dd}.");
        sb.AppendLine();
        var perSwitch = string.Join("; ", switches.Zip(plans, (f, p) => $"(a) with the switch at {Percent(f)}: {p.Pseudo} pseudo + {p.Real} real"));
        sb.AppendLine(CultureInfo.InvariantCulture, $"Calibration: {t}. Steps: (b) {plans[0].Scratch}; {perSwitch}.");
        foreach (var r in results)
        {
            sb.AppendLine();
            sb.AppendLine(CultureInfo.InvariantCulture, $"Seed {r.Seed}, switch at {Percent(r.Switch)}:");
            sb.AppendLine();
            sb.AppendLine("| measure | (a) Pseudo-to-Real | (b) from scratch |");
            sb.AppendLine("|---|---:|---:|");
            foreach (var row in BudgetComparison.Report(r.A, r.B)) sb.AppendLine($"| {row.Measure} | {row.Values[0]} | {row.Values[1]} |");
        }
        sb.AppendLine();
        sb.AppendLine(verdict);
        return sb.ToString();
    }

    /// <summary>Keeps every step log.</summary>
    private sealed class StepRecorder : ITrainingObserver
    {
        public List<StepLog> Steps { get; } = new();
        public void OnStep(StepLog log) => Steps.Add(log);
    }
}
