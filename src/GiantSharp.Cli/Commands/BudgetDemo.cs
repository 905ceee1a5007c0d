using System.Globalization;
using System.Text;
using GiantSharp.Config;
using GiantSharp.Experiments;
using GiantSharp.Training;
using Spectre.Console;

namespace GiantSharp.Cli.Commands;

/// <summary>
/// <c>giant demo</c> on a preset with <c>offload.max_memory</c>: the memory-bound comparison (see
/// <see cref="BudgetComparison"/>). Calibrates step times, then per seed trains (b) from scratch and (a)
/// Pseudo-to-Real under the same wall-clock budget, prints the table and verdict, and writes curves.csv, curves.png
/// and summary.md.
/// </summary>
internal static class BudgetDemo
{
    /// <summary>Issue 8's target: (a) reaches (b)'s final val loss in at most this share of (b)'s time.</summary>
    public const double TargetRatio = 0.4;

    public static void Run(RunConfig baseRun, string presetPath, string outDir, double seconds, double pseudoFraction, int seeds)
    {
        Directory.CreateDirectory(outDir);
        AnsiConsole.MarkupLine($"[bold]GiantSharp demo, memory-bound[/]: {Markup.Escape(presetPath)}: {baseRun.Model.NLayer} layers, d_model {baseRun.Model.DModel}, " +
            $"max_memory {Offload.ByteSize.Format(baseRun.Offload!.MaxMemory!.Value)}; {seconds:F0} s of training per run, Pseudo Giant for {pseudoFraction:P0} of (a)'s");

        var steps = new StepRecorder();
        TrainCommand.Train(BudgetComparison.Calibration(baseRun, Path.Combine(outDir, "calibration")), extra: [steps], label: "calibration");
        var timings = StepTimings.From(steps.Steps);
        var plan = BudgetComparison.Steps(timings, seconds, pseudoFraction);
        AnsiConsole.MarkupLine($"calibration: {Markup.Escape(timings.ToString())}; (a) {plan.Pseudo} pseudo + {plan.Real} real steps, (b) {plan.Scratch} steps");

        var results = new List<(long Seed, EvalCurve A, EvalCurve B)>();
        for (int k = 0; k < seeds; k++)
        {
            long seed = baseRun.Seed + k;
            var (a, b) = BudgetComparison.Runs(baseRun, plan, outDir, seed);
            var curveB = new EvalCurve($"(b) from scratch, seed {seed}");
            TrainCommand.Train(b, extra: [curveB], label: curveB.Name);
            var curveA = new EvalCurve($"(a) pseudo-to-real, seed {seed}");
            TrainCommand.Train(a, extra: [curveA], label: curveA.Name);
            results.Add((seed, curveA, curveB));
            PrintTable(curveA, curveB);
        }

        var verdict = Verdict(results);
        AnsiConsole.MarkupLine(verdict.Markup);
        var curves = results.SelectMany(r => new[] { r.A, r.B }).ToList();
        File.WriteAllText(Path.Combine(outDir, "curves.csv"), PseudoToRealComparison.ToCsv(curves));
        Plots.ValidationCurves(curves, $"{baseRun.Name}: Pseudo-to-Real vs from scratch under max_memory {Offload.ByteSize.Format(baseRun.Offload.MaxMemory!.Value)}", Path.Combine(outDir, "curves.png"));
        File.WriteAllText(Path.Combine(outDir, "summary.md"), Markdown(baseRun, presetPath, seconds, pseudoFraction, timings, plan, results, verdict.Text));
        AnsiConsole.MarkupLine($"wrote {Markup.Escape(Path.Combine(outDir, "curves.csv"))}, curves.png, summary.md");
    }

    private static void PrintTable(EvalCurve a, EvalCurve b)
    {
        var table = new Table().Title("validation loss (nats/token) against training time").AddColumn("measure").AddColumn(Markup.Escape(a.Name)).AddColumn(Markup.Escape(b.Name));
        foreach (var row in BudgetComparison.Report(a, b)) table.AddRow(row.Values.Prepend(row.Measure).Select(Markup.Escape).ToArray());
        AnsiConsole.Write(table);
    }

    private static (string Text, string Markup) Verdict(IReadOnlyList<(long Seed, EvalCurve A, EvalCurve B)> results)
    {
        var ratios = results.Select(r => BudgetComparison.Ratio(r.A, r.B)).ToList();
        var parts = results.Zip(ratios, (r, x) => $"seed {r.Seed}: {(x is { } v ? v.ToString("F2", CultureInfo.InvariantCulture) + "x" : "not reached")}");
        bool met = ratios.All(x => x is <= TargetRatio);
        var text = $"Pseudo-to-Real's time to the from-scratch run's final val loss, as a share of the from-scratch run's: {string.Join(", ", parts)}; " +
            $"target <= {TargetRatio:F1}x in every seed: {(met ? "met" : "not met")}.";
        return (text, $"[bold]verdict[/]: {Markup.Escape(text)}");
    }

    private static string Markdown(RunConfig run, string preset, double seconds, double pseudoFraction, StepTimings t, BudgetSteps plan,
        IReadOnlyList<(long Seed, EvalCurve A, EvalCurve B)> results, string verdict)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Preset `{preset}`: {run.Model.NLayer} layers, d_model {run.Model.DModel}, n_head {run.Model.NHead}, d_ff {run.Model.DFf}, " +
            $"{(run.Model.Moe is { } m ? $"{m.NumExperts} experts in {m.NumPrototypes} prototypes, " : "")}seq_len {run.Model.SeqLen}, micro_batch {run.Stages[0].MicroBatch}; " +
            $"max_memory {Offload.ByteSize.Format(run.Offload!.MaxMemory!.Value)}; {seconds:F0} s of training per run, Pseudo Giant for {pseudoFraction:P0} of (a)'s; " +
            $"{TorchSharp.torch.get_num_threads()} threads; {DateTime.UtcNow:yyyy-MM-dd}.");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Calibration: {t}. Steps: (a) {plan.Pseudo} pseudo + {plan.Real} real, (b) {plan.Scratch}.");
        foreach (var (seed, a, b) in results)
        {
            sb.AppendLine();
            sb.AppendLine(CultureInfo.InvariantCulture, $"Seed {seed}:");
            sb.AppendLine();
            sb.AppendLine("| measure | (a) Pseudo-to-Real | (b) from scratch |");
            sb.AppendLine("|---|---:|---:|");
            foreach (var row in BudgetComparison.Report(a, b)) sb.AppendLine($"| {row.Measure} | {row.Values[0]} | {row.Values[1]} |");
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
