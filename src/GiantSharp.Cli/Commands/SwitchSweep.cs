using System.Globalization;
using System.Text;
using GiantSharp.Config;
using GiantSharp.Experiments;
using Spectre.Console;

namespace GiantSharp.Cli.Commands;

/// <summary>
/// <c>giant demo --switch 0.1,0.5,auto --seeds 3</c> on an equal-steps preset (no memory limit: compute-bound): per
/// seed, (b) from scratch once and (a) Pseudo-to-Real once per switch point, all with the preset's total steps, batches
/// and schedule; prints each seed's table and a summary of final val losses over seeds, and writes curves.csv,
/// curves.png and summary.md. Issue 8, part 4: where to delink, measured.
/// </summary>
internal static class SwitchSweep
{
    private sealed record Result(long Seed, SwitchPoint Switch, EvalCurve A, int DelinkStep);

    public static void Run(RunConfig baseRun, string presetPath, string outDir, IReadOnlyList<SwitchPoint> switches, int seeds)
    {
        AnsiConsole.MarkupLine($"[bold]GiantSharp demo, switch sweep[/]: {Markup.Escape(presetPath)}: {baseRun.Model.NLayer} layers, d_model {baseRun.Model.DModel}, " +
            $"{baseRun.TotalSteps} steps per run; {Markup.Escape(string.Join(", ", switches.Select(s => s.Label)))}; {seeds} seed(s)");
        var results = new List<Result>();
        var scratch = new List<EvalCurve>();
        for (int k = 0; k < seeds; k++)
        {
            long seed = baseRun.Seed + k;
            var b = PseudoToRealComparison.FromScratch(baseRun with { Seed = seed }, Path.Combine(outDir, $"scratch-seed{seed}"));
            var curveB = new EvalCurve($"from scratch seed={seed}");
            TrainCommand.Train(b, extra: [curveB], label: curveB.Name);
            scratch.Add(curveB);
            var curves = new List<EvalCurve>();
            foreach (var s in switches)
            {
                var a = s.Apply(baseRun, seed, Path.Combine(outDir, $"{s.Label.Replace('=', '-')}-seed{seed}"));
                var curveA = new EvalCurve($"pseudo-to-real {s.Label} seed={seed}");
                var state = TrainCommand.Train(a, extra: [curveA], label: curveA.Name);
                results.Add(new Result(seed, s, curveA, state.StageEnds.TryGetValue(0, out var end) ? end : a.Stages[0].Steps));
                curves.Add(curveA);
            }
            curves.Add(curveB);
            var table = new Table().Title($"seed {seed}: validation loss (nats/token)").AddColumn("measure");
            foreach (var c in curves) table.AddColumn(Markup.Escape(c.Name));
            foreach (var row in PseudoToRealComparison.Report(curves)) table.AddRow(row.Values.Prepend(row.Measure).Select(Markup.Escape).ToArray());
            AnsiConsole.Write(table);
        }

        var summary = Summary(results, scratch);
        var out_ = new Table().Title("final val loss over seeds (nats/token); delta = (a) - (b), negative: Pseudo-to-Real ahead").AddColumn("run");
        foreach (var h in new[] { "delink at step", "final val loss per seed", "mean", "mean delta", "seeds ahead" }) out_.AddColumn(h);
        foreach (var row in summary) out_.AddRow(row.Select(Markup.Escape).ToArray());
        AnsiConsole.Write(out_);

        var all = results.Select(r => r.A).Concat(scratch).ToList();
        File.WriteAllText(Path.Combine(outDir, "curves.csv"), PseudoToRealComparison.ToCsv(all));
        Plots.ValidationCurves(all, $"{baseRun.Name}: where to delink ({seeds} seed(s))", Path.Combine(outDir, "curves.png"));
        File.WriteAllText(Path.Combine(outDir, "summary.md"), Markdown(baseRun, presetPath, seeds, summary));
        AnsiConsole.MarkupLine($"wrote {Markup.Escape(Path.Combine(outDir, "curves.csv"))}, curves.png, summary.md");
    }

    /// <summary>One row per switch point, then scratch: delink steps, final val loss per seed, mean, mean delta against scratch, seeds ahead.</summary>
    private static List<string[]> Summary(IReadOnlyList<Result> results, IReadOnlyList<EvalCurve> scratch)
    {
        var finalB = scratch.Select(c => c.Points[^1].ValLoss).ToArray();
        var rows = results.GroupBy(r => r.Switch).Select(g =>
        {
            var finals = g.Select(r => r.A.Points[^1].ValLoss).ToArray();
            var deltas = finals.Zip(finalB, (a, b) => a - b).ToArray();
            return new[]
            {
                g.Key.Label, string.Join(", ", g.Select(r => r.DelinkStep)), string.Join(", ", finals.Select(F)), F(finals.Average()),
                (deltas.Average() >= 0 ? "+" : "") + F(deltas.Average()), $"{deltas.Count(d => d < 0)} of {deltas.Length}",
            };
        }).ToList();
        rows.Add(["from scratch", "-", string.Join(", ", finalB.Select(F)), F(finalB.Average()), "0", "-"]);
        return rows;
    }

    private static string Markdown(RunConfig run, string preset, int seeds, IReadOnlyList<string[]> rows)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Preset `{preset}`: {run.Model.NLayer} layers, d_model {run.Model.DModel}, {run.TotalSteps} steps per run, " +
            $"global batch {run.Stages[0].GlobalBatch}, seeds {run.Seed}..{run.Seed + seeds - 1}; delink optimizer state `{run.Delink.OptimizerState.ToString().ToLowerInvariant()}`; " +
            $"{TorchSharp.torch.get_num_threads()} threads; {DateTime.UtcNow:yyyy-MM-dd}.");
        sb.AppendLine();
        sb.AppendLine("| run | delink at step | final val loss per seed | mean | mean delta vs scratch | seeds ahead |");
        sb.AppendLine("|---|---|---|---:|---:|---:|");
        foreach (var r in rows) sb.AppendLine("| " + string.Join(" | ", r) + " |");
        return sb.ToString();
    }

    private static string F(double v) => v.ToString("F4", CultureInfo.InvariantCulture);
}
