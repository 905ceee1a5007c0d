using System.Globalization;
using GiantSharp.Config;
using GiantSharp.Sharing;

namespace GiantSharp.Experiments;

/// <summary>
/// M6-10T's comparison (sec. 4.2, fig. 3) in the regime the paper ran in: a memory budget the Real Giant's training
/// state exceeds, so it streams from disk, while the Pseudo Giant trains resident. (a) Pseudo Giant, delinked
/// straight into the store, then the streamed Real Giant, against (b) the same Real Giant streamed from scratch, both
/// under the same wall-clock budget, the same tokens per step, the same data order and the same budget. Step counts
/// come from step times measured first (<see cref="Calibration"/>, which also warms both code paths up, so neither
/// run pays the JIT's and allocator's first-use costs alone); each run's LR schedule spans its own steps.
/// Builds the configs and the report; running them is the caller's job.
/// </summary>
public static class BudgetComparison
{
    /// <summary>
    /// The calibration run: <paramref name="pseudoSteps"/> Pseudo Giant steps, the switch, <paramref name="realSteps"/>
    /// Real Giant steps, under the base run's budget; no evaluation, no checkpoint.
    /// </summary>
    public static RunConfig Calibration(RunConfig baseRun, string outDir, int pseudoSteps = 4, int realSteps = 3) => baseRun with
    {
        Name = baseRun.Name + "-calibration",
        OutDir = outDir,
        Stages = [baseRun.Stages[0] with { Steps = pseudoSteps, EvalEvery = 0 }, baseRun.Stages[^1] with { Steps = realSteps, EvalEvery = 0 }],
        Eval = baseRun.Eval with { Every = 0 },
        Checkpoint = baseRun.Checkpoint with { Every = 0, Final = false },
    };

    /// <summary>
    /// Step counts for a wall-clock budget of <paramref name="seconds"/> of training per run: (b) streams the Real Giant
    /// for all of it (after building it into the store, which costs about one switch); (a) spends
    /// <paramref name="pseudoFraction"/> of it as the Pseudo Giant, then delinks and streams. At least one step each.
    /// </summary>
    public static BudgetSteps Steps(StepTimings t, double seconds, double pseudoFraction)
    {
        if (pseudoFraction is < 0 or >= 1 || double.IsNaN(pseudoFraction)) throw new Errors.ConfigException("--switch", $"must be in [0, 1), got {pseudoFraction}");
        int scratch = Math.Max(1, (int)((seconds - t.SwitchSeconds) / t.RealStepSeconds));
        int pseudo = (int)(pseudoFraction * seconds / t.PseudoStepSeconds);
        int real = Math.Max(1, (int)((seconds - pseudo * t.PseudoStepSeconds - t.SwitchSeconds) / t.RealStepSeconds));
        return new BudgetSteps(pseudo, real, scratch);
    }

    /// <summary>
    /// The two runs for seed <paramref name="seed"/>: (a) Pseudo-to-Real (the pseudo stage skipped when it has no steps)
    /// and (b) from scratch, in <paramref name="outDir"/>/a-SEED and b-SEED, with an evaluation cadence of about
    /// <paramref name="evalsPerStage"/> points per stage and no final checkpoint.
    /// </summary>
    public static (RunConfig A, RunConfig B) Runs(RunConfig baseRun, BudgetSteps steps, string outDir, long seed, int evalsPerStage = 10)
    {
        int Every(int n) => Math.Max(1, (int)Math.Round(n / (double)evalsPerStage));
        var pseudoStage = baseRun.Stages[0];
        var realStage = baseRun.Stages[^1];
        var stagesA = new List<StageConfig>();
        if (steps.Pseudo > 0) stagesA.Add(pseudoStage with { Steps = steps.Pseudo, EvalEvery = Every(steps.Pseudo) });
        stagesA.Add(realStage with { Steps = steps.Real, EvalEvery = Every(steps.Real) });
        var common = baseRun with { Seed = seed, Checkpoint = baseRun.Checkpoint with { Every = 0, Final = false } };
        var a = common with { Name = $"pseudo-to-real-{seed}", OutDir = Path.Combine(outDir, $"a-{seed}"), Stages = stagesA };
        var b = common with
        {
            Name = $"scratch-{seed}", OutDir = Path.Combine(outDir, $"b-{seed}"),
            Stages = [realStage with { Name = "scratch", Sharing = SharingPlan.None, Steps = steps.Scratch, EvalEvery = Every(steps.Scratch) }],
        };
        return (a, b);
    }

    /// <summary>
    /// Rows comparing (a) and (b): val loss after 25, 50, 75 and 100% of the shorter run's training time, the final val
    /// loss, and the training seconds each needs to reach (b)'s final val loss (first evaluation at or below it).
    /// </summary>
    public static List<ComparisonRow> Report(EvalCurve a, EvalCurve b)
    {
        var rows = new List<ComparisonRow>();
        var shortest = Math.Min(a.Points[^1].TrainSeconds, b.Points[^1].TrainSeconds);
        foreach (var frac in new[] { 0.25, 0.5, 0.75, 1.0 })
            rows.Add(new($"val loss after {shortest * frac:F0} s of training", [F(a.AtSeconds(shortest * frac)), F(b.AtSeconds(shortest * frac))]));
        rows.Add(new("final val loss", [F(a.Points[^1].ValLoss), F(b.Points[^1].ValLoss)]));
        rows.Add(new("steps", [a.Points[^1].Step.ToString(CultureInfo.InvariantCulture), b.Points[^1].Step.ToString(CultureInfo.InvariantCulture)]));
        var target = b.Points[^1].ValLoss;
        var reached = TimeToTarget(a, b);
        rows.Add(new($"seconds to val loss {target:F4} ((b)'s final)",
            [reached is { } r ? r.ToString("F1", CultureInfo.InvariantCulture) : "not reached", b.FirstReaching(target)!.TrainSeconds.ToString("F1", CultureInfo.InvariantCulture)]));
        return rows;
    }

    /// <summary>Training seconds (a) needs to reach (b)'s final val loss (its first evaluation at or below it), or null.</summary>
    public static double? TimeToTarget(EvalCurve a, EvalCurve b) => a.FirstReaching(b.Points[^1].ValLoss)?.TrainSeconds;

    /// <summary>(a)'s time to (b)'s final val loss over (b)'s time to it, or null when (a) did not reach it.</summary>
    public static double? Ratio(EvalCurve a, EvalCurve b) =>
        TimeToTarget(a, b) is { } ta ? ta / b.FirstReaching(b.Points[^1].ValLoss)!.TrainSeconds : null;

    private static string F(double? v) => v is { } x ? x.ToString("F4", CultureInfo.InvariantCulture) : "-";
}
