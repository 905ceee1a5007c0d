using GiantSharp.Config;
using GiantSharp.Errors;
using GiantSharp.Experiments;
using GiantSharp.Sharing;

namespace GiantSharp.Tests.Experiments;

/// <summary>The switch sweep's points: parsing <c>--switch</c>, and the runs they give (same total steps, split where asked).</summary>
public class SwitchPointTests
{
    [Fact]
    public void Parses_shares_and_auto_and_refuses_the_rest_naming_the_option()
    {
        var points = SwitchPoint.Parse("0.1, 0.5,auto,0.1", autoCap: 0.5);
        Assert.Equal([new SwitchPoint(0.1, false), new SwitchPoint(0.5, false), new SwitchPoint(0.5, true)], points);
        Assert.Equal(["switch=0.1", "switch=0.5", "switch=auto"], points.Select(p => p.Label));
        foreach (var bad in new[] { "", "0", "1", "-0.2", "1.5", "half", "NaN" })
            Assert.Equal("--switch", Assert.Throws<ConfigException>(() => SwitchPoint.Parse(bad, 0.5)).Key);
    }

    [Fact]
    public void A_point_splits_the_same_total_steps_and_auto_sets_the_delink_rule()
    {
        using var corpus = new TinyCorpus();
        var baseRun = corpus.Run(150, 150);
        var a = new SwitchPoint(0.1, false).Apply(baseRun, seed: 9, "out");
        Assert.Equal([30, 270], a.Stages.Select(s => s.Steps));
        Assert.Equal([SharingPlan.All, SharingPlan.None], a.Stages.Select(s => s.Sharing));
        Assert.Equal((9L, DelinkTiming.Scheduled, "out"), (a.Seed, a.Delink.When, a.OutDir));
        var auto = new SwitchPoint(0.5, true).Apply(baseRun, 9, "out");
        Assert.Equal([150, 150], auto.Stages.Select(s => s.Steps));
        Assert.Equal(DelinkTiming.Auto, auto.Delink.When);
        Assert.Equal([1, 299], new SwitchPoint(0.001, false).Apply(baseRun, 9, "out").Stages.Select(s => s.Steps));   // at least one step each
        Assert.Throws<ConfigException>(() => new SwitchPoint(0.5, false).Apply(baseRun with { Stages = [baseRun.Stages[0]] }, 9, "out"));
    }
}
