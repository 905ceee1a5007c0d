using GiantSharp.Experiments;
using GiantSharp.Training;

namespace GiantSharp.Tests.Experiments;

public class PseudoToRealComparisonTests
{
    private static EvalCurve Curve(string name, params (int Step, double Seconds, double Loss)[] points)
    {
        var c = new EvalCurve(name);
        foreach (var (step, sec, loss) in points) c.OnEval(new EvalLog("s", step, loss, step * 100, sec));
        return c;
    }

    [Fact]
    public void Report_compares_at_equal_steps_equal_time_and_time_to_target()
    {
        var a = Curve("a", (10, 5, 4.0), (20, 10, 2.4), (30, 15, 2.0));
        var b = Curve("b", (10, 10, 4.5), (20, 20, 3.5), (30, 30, 2.5));
        var rows = PseudoToRealComparison.Report([a, b]);
        Assert.Equal(["4.0000", "4.5000"], rows.Single(r => r.Measure == "val loss @ step 10").Values);
        Assert.Equal(["2.0000", "4.0000"], rows.Single(r => r.Measure == "val loss @ 15 s of training").Values);
        Assert.Equal(["20", "30"], rows.Single(r => r.Measure.StartsWith("steps to")).Values);
        Assert.Equal(["10.0", "30.0"], rows.Single(r => r.Measure.StartsWith("seconds to")).Values);
        Assert.Equal(3.2, a.AtSeconds(7.5)!.Value, 12);
        Assert.Null(a.AtSeconds(16));
    }
}
