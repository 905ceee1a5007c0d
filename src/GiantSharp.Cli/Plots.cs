using GiantSharp.Experiments;
using ScottPlot;

namespace GiantSharp.Cli;

/// <summary>PNG plots of validation curves (ScottPlot).</summary>
internal static class Plots
{
    /// <summary>
    /// Writes val loss against steps and against training seconds, side by side, to <paramref name="path"/>; a run's
    /// stage switches (delinking) are marked with a dashed vertical line at its last evaluation before the switch.
    /// </summary>
    public static void ValidationCurves(IReadOnlyList<EvalCurve> runs, string title, string path)
    {
        var multi = new Multiplot();
        while (multi.Count() < 2) multi.AddPlot();
        var byStep = multi.GetPlot(0);
        var byTime = multi.GetPlot(1);
        foreach (var run in runs)
        {
            var steps = run.Points.Select(p => (double)p.Step).ToArray();
            var secs = run.Points.Select(p => p.TrainSeconds).ToArray();
            var loss = run.Points.Select(p => p.ValLoss).ToArray();
            var inStep = byStep.Add.Scatter(steps, loss);
            inStep.LegendText = run.Name;
            var inTime = byTime.Add.Scatter(secs, loss);
            inTime.LegendText = run.Name;
            for (int i = 1; i < run.Points.Count; i++)
            {
                if (run.Points[i].Stage == run.Points[i - 1].Stage) continue;
                foreach (var (plot, x, color) in new[] { (byStep, steps[i - 1], inStep.Color), (byTime, secs[i - 1], inTime.Color) })
                {
                    var line = plot.Add.VerticalLine(x, 1, color);
                    line.LinePattern = LinePattern.Dashed;
                    line.Text = $"{run.Points[i].Stage} from here";
                }
            }
        }
        byStep.Title(title);
        byStep.XLabel("optimizer steps");
        byStep.YLabel("validation loss (nats/token)");
        byStep.ShowLegend(Alignment.UpperRight);
        byTime.Title("same runs against wall time");
        byTime.XLabel("training seconds (eval excluded)");
        byTime.YLabel("validation loss (nats/token)");
        byTime.ShowLegend(Alignment.UpperRight);
        multi.Layout = new ScottPlot.MultiplotLayouts.Columns();
        multi.SavePng(path, 1400, 520);
    }
}
