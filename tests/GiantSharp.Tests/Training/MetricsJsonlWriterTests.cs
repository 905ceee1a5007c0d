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
}
