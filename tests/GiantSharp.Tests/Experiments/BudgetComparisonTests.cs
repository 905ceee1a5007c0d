using GiantSharp.Config;
using GiantSharp.Experiments;
using GiantSharp.Sharing;
using GiantSharp.Training;

namespace GiantSharp.Tests.Experiments;

/// <summary>The memory-bound comparison's arithmetic: step times from a calibration log, step counts from a wall-clock budget, the two runs' configs, and the report.</summary>
public class BudgetComparisonTests
{
    private static StepLog Step(int stage, int step, double trainSeconds) =>
        new(stage == 0 ? "pseudo" : "real", stage, step, 7, 1, 0, 1e-3, 1, step * 1024L, trainSeconds, 1, new Dictionary<string, double>());

    [Fact]
    public void Timings_are_medians_without_each_stages_first_step_and_the_switch_is_the_real_stages_surplus()
    {
        // pseudo steps of 3, 1, 1.2, 0.8 s; the switch (10 s) lands on the first real step (10 + 5 s); then 6, 5, 7 s.
        var seconds = new[] { 3, 1, 1.2, 0.8, 15, 6, 5, 7 };
        var cumulative = seconds.Select((_, i) => seconds.Take(i + 1).Sum()).ToArray();
        var logs = seconds.Select((_, i) => Step(i < 4 ? 0 : 1, i + 1, cumulative[i])).ToList();
        var t = StepTimings.From(logs);
        Assert.Equal(1.0, t.PseudoStepSeconds, 9);
        Assert.Equal(6.0, t.RealStepSeconds, 9);
        Assert.Equal(9.0, t.SwitchSeconds, 9);
        Assert.Throws<ArgumentException>(() => StepTimings.From(logs.Take(5).ToList()));
    }

    [Fact]
    public void Step_counts_fill_the_same_wall_clock_budget()
    {
        var t = new StepTimings(PseudoStepSeconds: 1, RealStepSeconds: 6, SwitchSeconds: 9);
        var s = BudgetComparison.Steps(t, seconds: 240, pseudoFraction: 0.75);
        Assert.Equal(new BudgetSteps(Pseudo: 180, Real: 8, Scratch: 38), s);           // 180 + 9 + 48 <= 240; 9 + 228 <= 240
        Assert.Equal(new BudgetSteps(0, 38, 38), BudgetComparison.Steps(t, 240, 0));
        Assert.Equal(1, BudgetComparison.Steps(t, 5, 0.9).Real);                         // never zero steps
        Assert.Throws<GiantSharp.Errors.ConfigException>(() => BudgetComparison.Steps(t, 240, 1.0));
    }

    [Fact]
    public void The_runs_share_data_tokens_per_step_and_budget_and_differ_in_sharing_only()
    {
        using var corpus = new TinyCorpus();
        var baseRun = corpus.Run(5, 5) with { Offload = new GiantSharp.Offload.OffloadConfig { MaxMemory = 1L << 30, Dir = "d" } };
        var (a, b) = BudgetComparison.Runs(baseRun, new BudgetSteps(100, 10, 40), "out", seed: 7);
        Assert.Equal((7L, 7L), (a.Seed, b.Seed));
        Assert.Equal([SharingPlan.All, SharingPlan.None], a.Stages.Select(s => s.Sharing));
        Assert.Equal([100, 10], a.Stages.Select(s => s.Steps));
        Assert.Equal(SharingPlan.None, Assert.Single(b.Stages).Sharing);
        Assert.Equal(40, b.TotalSteps);
        Assert.All(a.Stages.Concat(b.Stages), s => Assert.Equal(baseRun.Stages[0].GlobalBatch, s.GlobalBatch));
        Assert.Equal(a.Offload, b.Offload);
        Assert.Equal([10, 1], a.Stages.Select(s => s.EvalEvery!.Value));
        Assert.False(a.Checkpoint.Final);
        Assert.NotEqual(a.OutDir, b.OutDir);
        Assert.Single(BudgetComparison.Runs(baseRun, new BudgetSteps(0, 10, 40), "out", 7).A.Stages);   // no pseudo steps: no pseudo stage
    }

    [Fact]
    public void The_report_gives_the_time_each_run_needs_to_reach_the_from_scratch_final_loss()
    {
        static EvalCurve Curve(string name, params (double Seconds, double Loss)[] points)
        {
            var c = new EvalCurve(name);
            int step = 0;
            foreach (var (sec, loss) in points) c.OnEval(new EvalLog("s", ++step, loss, step * 1024L, sec));
            return c;
        }
        var a = Curve("a", (10, 3.0), (40, 2.5), (80, 2.2), (240, 2.0));
        var b = Curve("b", (60, 3.0), (120, 2.6), (240, 2.3));
        Assert.Equal(80.0, BudgetComparison.TimeToTarget(a, b));
        Assert.Equal(80.0 / 240, BudgetComparison.Ratio(a, b)!.Value, 12);
        var rows = BudgetComparison.Report(a, b);
        Assert.Equal(["80.0", "240.0"], rows.Single(r => r.Measure.StartsWith("seconds to")).Values);
        Assert.Equal(["2.0000", "2.3000"], rows.Single(r => r.Measure == "final val loss").Values);
        Assert.Null(BudgetComparison.Ratio(Curve("slow", (100, 3.0), (240, 2.4)), b));
    }
}
