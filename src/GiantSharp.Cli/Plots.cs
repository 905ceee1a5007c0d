using GiantSharp.Experiments;
using GiantSharp.Training;
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
                    line.LabelOppositeAxis = true;                          // at the top, clear of the x axis title
                }
            }
        }
        byStep.Title(title);
        byStep.XLabel("optimizer steps");
        byStep.YLabel("validation loss (nats/token)");
        byStep.HideLegend();                                                // same runs, same colours: one legend, outside the data
        byTime.Title("same runs against wall time");
        byTime.XLabel("training seconds (eval excluded)");
        byTime.YLabel("validation loss (nats/token)");
        byTime.ShowLegend(Edge.Right);
        byStep.Axes.Top.MinimumSize = byTime.Axes.Top.MinimumSize = 55;     // room for the switch labels under the titles
        multi.Layout = new ScottPlot.MultiplotLayouts.Columns();
        multi.SavePng(path, DemoWidth, DemoHeight);
    }

    /// <summary>Width and height of <see cref="ValidationCurves"/>'s PNG, in pixels.</summary>
    public const int DemoWidth = 1600, DemoHeight = 560;

    /// <summary>Width and height of <see cref="LossCurves"/>'s PNG, in pixels.</summary>
    public const int CurvesWidth = 1200, CurvesHeight = 600;

    /// <summary>
    /// Writes the training loss (line) and validation loss (markers) of one or several runs against their common x axis
    /// to <paramref name="path"/> (<see cref="CurvesWidth"/> x <see cref="CurvesHeight"/> PNG); each stage switch is a
    /// dashed vertical line in its run's colour, labelled at the top (e.g. <c>delink: pseudo -&gt; real</c>). The legend
    /// sits outside the data, on the right.
    /// </summary>
    public static void LossCurves(IReadOnlyList<RunCurves> runs, string path) => LossCurvesPlot(runs).SavePng(path, CurvesWidth, CurvesHeight);

    /// <summary>The plot <see cref="LossCurves"/> draws: per run a train line, a val scatter and a vertical line per switch.</summary>
    internal static Plot LossCurvesPlot(IReadOnlyList<RunCurves> runs)
    {
        var plot = new Plot();
        foreach (var run in runs)
        {
            var prefix = runs.Count > 1 ? run.Name + ": " : "";
            var train = plot.Add.ScatterLine(run.Train.Select(p => p.X).ToArray(), run.Train.Select(p => p.Loss).ToArray());
            train.LegendText = prefix + "train loss";
            var val = plot.Add.ScatterPoints(run.Val.Select(p => p.X).ToArray(), run.Val.Select(p => p.Loss).ToArray(), train.Color);
            val.MarkerSize = 8;
            val.LegendText = prefix + "val loss";
            foreach (var (x, label) in run.Switches)
            {
                var line = plot.Add.VerticalLine(x, 1.5f, train.Color);
                line.LinePattern = LinePattern.Dashed;
                line.Text = label;
                line.LabelOppositeAxis = true;
            }
        }
        plot.Title(runs.Count == 1 ? $"{runs[0].Name}: loss" : "loss of " + string.Join(", ", runs.Select(r => r.Name)));
        plot.XLabel(RunCurves.AxisTitle(runs[0].Axis));
        plot.YLabel("loss (nats/token)");
        plot.ShowLegend(Edge.Right);
        plot.Axes.Top.MinimumSize = 55;                                     // room for the switch labels under the title
        return plot;
    }
}
