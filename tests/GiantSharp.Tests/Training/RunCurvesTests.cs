using GiantSharp.Config;
using GiantSharp.Errors;
using GiantSharp.Sharing;
using GiantSharp.Training;

namespace GiantSharp.Tests.Training;

public class RunCurvesTests
{
    /// <summary>A 4-step run written by the metrics writer: pseudo steps 1-2, delinked at 2, real steps 3-4; evals at 2 and 4; 100 tokens and 0.5 s per step.</summary>
    internal static string WriteRun(string root, bool events = true)
    {
        var dir = Path.Combine(root, events ? "p2r" : "legacy");
        using var w = new MetricsJsonlWriter(RunOutputs.MetricsPath(dir));
        var pseudo = new StageConfig { Name = "pseudo", Sharing = SharingPlan.All };
        var real = new StageConfig { Name = "real", Sharing = SharingPlan.None };
        if (events) w.OnStageStart(0, pseudo, 0, delinked: false);
        for (int s = 1; s <= 4; s++)
        {
            var stage = s <= 2 ? "pseudo" : "real";
            if (s == 3 && events) w.OnStageStart(1, real, 2, delinked: true);
            w.OnStep(new StepLog(stage, s <= 2 ? 0 : 1, s, 4, 5.0 - s, 0, 1e-3, 1, 100L * s, 0.5 * s, 200, new Dictionary<string, double>()));
            if (s % 2 == 0) w.OnEval(new EvalLog(stage, s, 4.5 - s, 100L * s, 0.5 * s));
        }
        if (events) w.OnCheckpoint(Path.Combine(dir, "checkpoints", "step-00000004"), 4);
        return dir;
    }

    [Theory]
    [InlineData(PlotAxis.Steps, 1.0, 2.0)]
    [InlineData(PlotAxis.Tokens, 100.0, 200.0)]
    [InlineData(PlotAxis.Time, 0.5, 1.0)]
    public void Train_and_val_points_and_the_delink_are_read_against_each_axis(PlotAxis axis, double perStep, double switchX)
    {
        using var dir = new TempDir();
        var curves = RunCurves.Read(WriteRun(dir.Path), axis);
        Assert.Equal("p2r", curves.Name);
        Assert.Equal([(perStep, 4.0), (2 * perStep, 3.0), (3 * perStep, 2.0), (4 * perStep, 1.0)], curves.Train);
        Assert.Equal([(2 * perStep, 2.5), (4 * perStep, 0.5)], curves.Val);
        Assert.Equal([(switchX, "delink: pseudo -> real")], curves.Switches);
    }

    [Fact]
    public void A_file_from_before_events_has_its_switch_where_the_stage_changes()
    {
        using var dir = new TempDir();
        var curves = RunCurves.Read(WriteRun(dir.Path, events: false), PlotAxis.Tokens);
        Assert.Equal(4, curves.Train.Count);
        Assert.Equal([(200.0, "stage real")], curves.Switches);
    }

    [Fact]
    public void A_folder_without_metrics_is_refused_naming_it()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<DataException>(() => RunCurves.Read(dir.Path, PlotAxis.Steps));
        Assert.Equal($"{dir.Path}: has no metrics.jsonl: not a run folder (giant train writes one into its out_dir)", e.Message);
        File.WriteAllText(RunOutputs.MetricsPath(dir.Path), "{\"type\":\"step\",\"step\":1,\"loss\":2}\nnot json\n");
        Assert.StartsWith($"{RunOutputs.MetricsPath(dir.Path)}: line 2 is not a JSON object", Assert.Throws<DataException>(() => RunCurves.Read(dir.Path, PlotAxis.Steps)).Message);
    }
}
