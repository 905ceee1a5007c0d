using GiantSharp.Experiments;
using ScottPlot;

namespace GiantSharp.Cli;

/// <summary>PNG plots of validation curves (ScottPlot).</summary>
internal static class Plots
{
    /// <summary>Writes val loss against steps and against training seconds, side by side, to <paramref name="path"/>.</summary>
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
            byStep.Add.Scatter(steps, loss).LegendText = run.Name;
            byTime.Add.Scatter(secs, loss).LegendText = run.Name;
        }
        byStep.Title(title);
        byStep.XLabel("optimizer steps");
        byStep.YLabel("validation loss (nats/token)");
        byStep.ShowLegend();
        byTime.Title("same runs against wall time");
        byTime.XLabel("training seconds (eval excluded)");
        byTime.YLabel("validation loss (nats/token)");
        byTime.ShowLegend();
        multi.Layout = new ScottPlot.MultiplotLayouts.Columns();
        multi.SavePng(path, 1400, 520);
    }
}
