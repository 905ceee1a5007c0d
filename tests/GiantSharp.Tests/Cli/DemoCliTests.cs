using GiantSharp.Data;
using GiantSharp.Model;
using GiantSharp.Offload;
using GiantSharp.Offload.Planning;
using GiantSharp.Sharing;

namespace GiantSharp.Tests.Cli;

/// <summary><c>giant demo</c> on a budgeted preset, end to end on a tiny model: calibration, both runs, the verdict and the files.</summary>
public class DemoCliTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "giant-cli-demo-" + Guid.NewGuid().ToString("N"));

    public DemoCliTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void The_memory_bound_demo_trains_both_runs_under_one_time_budget_and_reports_a_verdict()
    {
        using var corpus = new TinyCorpus();
        // Big enough that streaming (staging, the optimizer's pieces) costs less than the Real Giant's 16 B per parameter.
        var model = new ModelConfig { NLayer = 6, NHead = 4, DModel = 256, DFf = 1024, SeqLen = 16, VocabSize = PreparedCorpus.Open(corpus.Dir).Tokenizer.VocabSize };
        var offload = new OffloadConfig { MaxMemory = long.MaxValue / 4, Dir = "d" };
        long realResident = MemoryPlanner.Plan(model, SharingPlan.None.LayerMap(6), 2, offload).PlannedBytes;
        var config = Path.Combine(_dir, "tiny-budget.json");
        File.WriteAllText(config, $$"""
            { "name": "tiny-budget", "data": { "dir": "{{corpus.Dir}}" }, "out_dir": "{{Path.Combine(_dir, "unused")}}",
              "model": { "n_layer": 6, "n_head": 4, "d_model": 256, "d_ff": 1024, "seq_len": 16 },
              "stages": [ { "name": "pseudo", "sharing": "all", "steps": 10, "micro_batch": 2, "global_batch": 2 },
                          { "name": "real", "sharing": "none", "steps": 10, "micro_batch": 2, "global_batch": 2 } ],
              "offload": { "max_memory": {{realResident - 1}}, "dir": "{{Path.Combine(_dir, "nvme")}}" },
              "eval": { "every": 0, "sequences": 4 } }
            """);
        var outDir = Path.Combine(_dir, "demo");
        var run = GiantProcess.Run(_dir, "demo", "--preset", config, "--seconds", "2", "--switch", "0.5,0.75", "--threads", "1", "--out", outDir);
        Assert.True(run.ExitCode == 0, run.StdErr + run.StdOut);
        Assert.Contains("calibration: pseudo step", run.StdOut);
        Assert.Contains("stage real: streamed", run.StdOut);
        Assert.Contains("stage pseudo: resident", run.StdOut);
        var flat = System.Text.RegularExpressions.Regex.Replace(run.StdOut, @"\s+", " ");   // the console wraps long lines
        foreach (var share in new[] { "50", "75" })
            Assert.True(System.Text.RegularExpressions.Regex.IsMatch(flat, $@"Pseudo Giant for {share}% of the time: Pseudo-to-Real reached the from-scratch run's final val loss in seed 1234: ([0-9.]+x|not reached) of the from-scratch run's time; target <= 0\.4x in every seed: (met|not met)\."), flat);
        foreach (var file in new[] { "curves.csv", "curves.png", "summary.md" }) Assert.True(File.Exists(Path.Combine(outDir, file)), file);
        var csv = File.ReadAllLines(Path.Combine(outDir, "curves.csv"));
        Assert.Contains(csv, l => l.StartsWith("(a) pseudo-to-real switch=0.5 seed=1234,pseudo,"));
        Assert.Contains(csv, l => l.StartsWith("(a) pseudo-to-real switch=0.75 seed=1234,real,"));
        Assert.Contains(csv, l => l.StartsWith("(b) from scratch seed=1234,scratch,"));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(_dir, "nvme")));   // every run removed its store
    }
}
