using GiantSharp.Training;

namespace GiantSharp.Tests.Training;

public class MetricsJsonlWriterTests
{
    private static StepLog Step(int step) => new("real", 1, step, 10, 1.0, 0, 1e-3, 0.5, 100L * step, step, 100, new Dictionary<string, double>());

    [Fact]
    public void Resumed_run_drops_the_records_after_its_checkpoint_and_a_fresh_run_starts_a_fresh_file()
    {
        var dir = Path.Combine(Path.GetTempPath(), "giant-jsonl-" + Guid.NewGuid().ToString("N"));
        var path = Path.Combine(dir, "metrics.jsonl");
        try
        {
            using (var w = new MetricsJsonlWriter(path))
                for (int s = 1; s <= 8; s++) w.OnStep(Step(s));
            using (var w = new MetricsJsonlWriter(path, fromStep: 5))       // resumed from the step-5 checkpoint
                for (int s = 6; s <= 10; s++) w.OnStep(Step(s));
            var steps = File.ReadLines(path).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("step").GetInt32()).ToList();
            Assert.Equal(Enumerable.Range(1, 10), steps);

            using (var w = new MetricsJsonlWriter(path)) w.OnStep(Step(1));  // a fresh run in the same folder
            Assert.Single(File.ReadLines(path));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Theory]
    [InlineData(4, true)]
    [InlineData(1000, false)]
    public void Expert_loads_are_summarised_and_listed_only_for_few_experts(int experts, bool listed)
    {
        var metrics = Enumerable.Range(0, experts).ToDictionary(e => $"moe/expert_load/{e}", e => e == 0 ? 2.0 / (experts + 1) : 1.0 / (experts + 1));
        metrics["moe/aux_loss"] = 1.25;
        var path = Path.Combine(Path.GetTempPath(), "giant-jsonl-" + Guid.NewGuid().ToString("N") + ".jsonl");
        try
        {
            using (var w = new MetricsJsonlWriter(path)) w.OnStep(Step(1) with { Metrics = metrics });
            var row = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path)).RootElement;
            Assert.Equal(1.25, row.GetProperty("moe/aux_loss").GetDouble());
            Assert.Equal(2.0 / (experts + 1) / (1.0 / experts), row.GetProperty("moe/expert_load_max_over_mean").GetDouble(), 9);
            Assert.Equal(listed, row.TryGetProperty("moe/expert_load/3", out _));
        }
        finally { File.Delete(path); }
    }
}
