using System.Buffers.Binary;
using System.CommandLine;
using GiantSharp.Cli;
using GiantSharp.Cli.Commands;
using GiantSharp.Errors;
using GiantSharp.Tests.Training;

namespace GiantSharp.Tests.Cli;

public class PlotCommandTests
{
    private static int Invoke(params string[] args) =>
        PlotCommand.Create().Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });

    private static (int Width, int Height) PngSize(string path)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
        return (BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));   // IHDR
    }

    [Fact]
    public void Two_runs_are_drawn_into_a_png_of_the_stated_size()
    {
        using var dir = new TempDir();
        var a = RunCurvesTests.WriteRun(dir.Path);
        var b = RunCurvesTests.WriteRun(dir.Path, events: false);
        var png = Path.Combine(dir.Path, "both.png");
        Assert.Equal(0, Invoke(a, b, "--out", png, "--x", "time"));
        Assert.Equal((Plots.CurvesWidth, Plots.CurvesHeight), PngSize(png));

        Assert.Equal(0, Invoke(a));                                          // default: curves.png in the run folder
        Assert.Equal((Plots.CurvesWidth, Plots.CurvesHeight), PngSize(Path.Combine(a, "curves.png")));
    }

    [Fact]
    public void Each_run_gives_a_train_line_a_val_scatter_and_a_line_per_switch_with_its_points()
    {
        using var dir = new TempDir();
        var runs = new[] { RunCurvesTests.WriteRun(dir.Path), RunCurvesTests.WriteRun(dir.Path, events: false) }
            .Select(r => GiantSharp.Training.RunCurves.Read(r, GiantSharp.Training.PlotAxis.Steps)).ToList();
        var plottables = Plots.LossCurvesPlot(runs).GetPlottables().ToList();
        var scatters = plottables.OfType<ScottPlot.Plottables.Scatter>().ToList();
        Assert.Equal(["p2r: train loss", "p2r: val loss", "legacy: train loss", "legacy: val loss"], scatters.Select(s => s.LegendText));
        Assert.Equal([4, 2, 4, 2], scatters.Select(s => s.Data.GetScatterPoints().Count));
        Assert.Equal([1.0, 2, 3, 4], scatters[0].Data.GetScatterPoints().Select(p => p.X));
        var switches = plottables.OfType<ScottPlot.Plottables.VerticalLine>().ToList();
        Assert.Equal([("delink: pseudo -> real", 2.0), ("stage real", 2.0)], switches.Select(v => (v.Text, v.X)));
    }

    [Fact]
    public void The_demos_two_panel_curves_are_written_at_their_stated_size()
    {
        using var dir = new TempDir();
        var runs = new[] { "(a) pseudo-to-real", "(b) from scratch" }.Select(name =>
        {
            var curve = new GiantSharp.Experiments.EvalCurve(name);
            for (int s = 1; s <= 6; s++)
                curve.OnEval(new GiantSharp.Training.EvalLog(name.StartsWith("(a)") && s <= 3 ? "pseudo" : "real", s, 5.0 - 0.5 * s, 100L * s, 2.0 * s));
            return curve;
        }).ToList();
        var png = Path.Combine(dir.Path, "curves.png");
        Plots.ValidationCurves(runs, "demo", png);
        Assert.Equal((Plots.DemoWidth, Plots.DemoHeight), PngSize(png));
    }

    [Fact]
    public void A_folder_without_metrics_is_refused()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<DataException>(() => Invoke(dir.Path));
        Assert.Contains("has no metrics.jsonl", e.Message);
        Assert.False(File.Exists(Path.Combine(dir.Path, "curves.png")));
    }
}
