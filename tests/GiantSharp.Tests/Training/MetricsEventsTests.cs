using System.Globalization;
using System.Text.Json;
using GiantSharp.Training;

namespace GiantSharp.Tests.Training;

public class MetricsEventsTests
{
    private static List<(string Event, int Step, DateTime Time)> Events(string outDir) =>
        File.ReadLines(RunOutputs.MetricsPath(outDir)).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(r => r.TryGetProperty("event", out _))
            .Select(r => (r.GetProperty("event").GetString()!, r.GetProperty("step").GetInt32(),
                DateTime.Parse(r.GetProperty("time").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind)))
            .ToList();

    private static void Train(GiantSharp.Config.RunConfig config, GiantSharp.Data.PreparedCorpus corpus, string? resume = null)
    {
        using var trainer = new Trainer(config, corpus, resumeFrom: resume);
        using var outputs = new RunOutputs(trainer.Config, trainer.State.GlobalStep);
        trainer.Observers.AddRange(outputs.Observers);
        trainer.Run();
    }

    [Fact]
    public void A_two_stage_run_logs_its_evals_delink_stage_switch_and_checkpoints_in_order()
    {
        using var tiny = new TinyCorpus(documents: 20);
        using var corpus = tiny.Open();
        var config = tiny.Run(pseudoSteps: 3, realSteps: 3) with
        {
            Eval = new GiantSharp.Config.EvalConfig { Every = 2, Sequences = 4 },
            Checkpoint = new GiantSharp.Config.CheckpointConfig { Every = 4, Keep = 3 },
        };
        var before = DateTime.UtcNow;
        Train(config, corpus);
        var events = Events(config.OutDir);
        Assert.Equal([
            ("run_start", 0), ("stage_start", 0), ("eval", 2), ("eval", 3),              // the end of a stage is evaluated
            ("checkpoint", 3),                                                             // and checkpointed (the Pseudo Giant's last weights)
            ("delink", 3), ("stage_start", 3), ("eval", 4), ("checkpoint", 4), ("eval", 6), ("checkpoint", 6),
        ], events.Select(e => (e.Event, e.Step)));
        Assert.All(events, e => Assert.Equal(DateTimeKind.Utc, e.Time.Kind));
        Assert.True(events[0].Time >= before.AddSeconds(-1) && events[^1].Time <= DateTime.UtcNow.AddSeconds(1));
        Assert.Equal(events.Select(e => e.Time).Order(), events.Select(e => e.Time));

        Assert.All(File.ReadLines(RunOutputs.MetricsPath(config.OutDir)), l =>                // readers filtering on "type" keep working
            Assert.Contains(JsonDocument.Parse(l).RootElement.GetProperty("type").GetString(), new[] { "step", "eval", "event" }));
        var delink = File.ReadLines(RunOutputs.MetricsPath(config.OutDir)).Select(l => JsonDocument.Parse(l).RootElement)
            .Single(r => r.TryGetProperty("event", out var e) && e.GetString() == "delink");
        Assert.Equal("pseudo", delink.GetProperty("from_stage").GetString());
        Assert.Equal("real", delink.GetProperty("to_stage").GetString());

        // Resumed from the step-4 checkpoint: the records after it are dropped, the re-entered stage is not logged again.
        Train(config, corpus, resume: Path.Combine(config.OutDir, "checkpoints", "step-00000004"));
        Assert.Equal([
            ("run_start", 0), ("stage_start", 0), ("eval", 2), ("eval", 3), ("checkpoint", 3), ("delink", 3), ("stage_start", 3), ("eval", 4),
            ("checkpoint", 4), ("resume", 4), ("eval", 6), ("checkpoint", 6),
        ], Events(config.OutDir).Select(e => (e.Event, e.Step)));
    }
}
