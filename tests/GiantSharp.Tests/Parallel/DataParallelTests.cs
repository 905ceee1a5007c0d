using System.Text.Json;
using GiantSharp.Tests.Cli;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace GiantSharp.Tests.Parallel;

/// <summary>
/// <c>mpirun -np 2 giant train</c> end to end against one process on the same config: data parallelism and ZeRO 1/2 give
/// the one-process losses, gradient norms, weights and AdamW state (relative 1e-5); a distributed checkpoint is whole
/// (one process reads it), resumes exactly on 2 ranks, and the Pseudo Giant all-reduces n_layer times fewer block bytes.
/// The pseudo stage splits whole micro-batches over the ranks, the real stage splits rows of one micro-batch.
/// </summary>
public class DataParallelTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "giant-mpi-" + Guid.NewGuid().ToString("N"));
    private readonly TinyCorpus _corpus = new();

    public DataParallelTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        _corpus.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private string Config(string name, int zeroStage, string extra = "")
    {
        var path = Path.Combine(_dir, name + ".json");
        File.WriteAllText(path, $$"""
            { "name": "{{name}}", "data": { "dir": "{{_corpus.Dir}}" }, "out_dir": "{{Path.Combine(_dir, name)}}",
              "model": { "n_layer": 3, "n_head": 2, "d_model": 16, "d_ff": 32, "seq_len": 16, "dropout": 0.0 },
              "optimizer": { "grad_clip": 0.5 },
              "schedule": { "lr": 3e-3, "warmup_steps": 2 },
              "stages": [ { "name": "pseudo", "sharing": "all", "steps": 3, "micro_batch": 2, "global_batch": 4 },
                          { "name": "real", "sharing": "none", "steps": 3, "micro_batch": 4, "global_batch": 4 } ],
              "parallel": { "zero_stage": {{zeroStage}} },
              "eval": { "every": 0, "sequences": 4 }, "checkpoint": { "every": 1, "keep": 10 }, "log_every": 1 {{extra}} }
            """);
        return path;
    }

    private static List<JsonElement> Steps(string runDir) => File.ReadAllLines(Path.Combine(runDir, "metrics.jsonl"))
        .Select(l => JsonDocument.Parse(l).RootElement).Where(e => e.GetProperty("type").GetString() == "step").ToList();

    private static Dictionary<string, Tensor> Load(string checkpoint, string file) => Safetensors.LoadStateDict(Path.Combine(checkpoint, file));

    private static void AssertClose(double expected, double actual, string what) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-5 * Math.Max(1e-3, Math.Abs(expected)), $"{what}: {expected} vs {actual}");

    private string Checkpoint(string run, int step) => Path.Combine(_dir, run, "checkpoints", $"step-{step:D8}");

    [MpiFact]
    public void Two_ranks_with_zero_0_1_2_equal_one_process_and_resume_exactly()
    {
        var one = GiantProcess.Run(_dir, "train", Config("one", 0), "--threads", "1");
        Assert.True(one.ExitCode == 0, one.StdErr);
        var reference = Steps(Path.Combine(_dir, "one"));
        Assert.Equal(6, reference.Count);

        foreach (var zero in new[] { 0, 1, 2 })
        {
            var name = $"zero{zero}";
            var two = MpiRun.Run(_dir, 2, "train", Config(name, zero), "--threads", "1");
            Assert.True(two.ExitCode == 0, two.StdOut + two.StdErr);
            Assert.Contains("data parallel on 2 ranks", two.StdOut);
            Assert.Single(two.StdOut.Split('\n'), l => l.Contains("real step 6/6"));         // rank 0 alone reports
            var steps = Steps(Path.Combine(_dir, name));
            Assert.Equal(6, steps.Count);
            for (int i = 0; i < 6; i++)
            {
                AssertClose(reference[i].GetProperty("loss").GetDouble(), steps[i].GetProperty("loss").GetDouble(), $"{name} loss at step {i + 1}");
                AssertClose(reference[i].GetProperty("grad_norm").GetDouble(), steps[i].GetProperty("grad_norm").GetDouble(), $"{name} grad norm at step {i + 1}");
                Assert.Equal(2, steps[i].GetProperty("parallel/world_size").GetDouble());
            }
            TensorFiles.AssertClose(Load(Checkpoint("one", 6), "model.safetensors"), Load(Checkpoint(name, 6), "model.safetensors"), $"{name} weights");
            TensorFiles.AssertClose(Load(Checkpoint("one", 6), "optimizer.safetensors"), Load(Checkpoint(name, 6), "optimizer.safetensors"), $"{name} AdamW state");
        }

        // Bytes per step with ZeRO 0: the unique parameters' gradients, float32; the Pseudo Giant's 3 layers share one block.
        var z0 = Steps(Path.Combine(_dir, "zero0"));
        var pseudoBytes = z0[1].GetProperty("parallel/bytes").GetDouble();
        var realBytes = z0[4].GetProperty("parallel/bytes").GetDouble();
        var weights = Load(Checkpoint("one", 6), "model.safetensors");
        double blockBytes = weights.Where(kv => kv.Key.StartsWith("h.0.")).Sum(kv => kv.Value.NumberOfElements) * 4.0;
        double otherBytes = weights.Where(kv => !kv.Key.StartsWith("h.")).Sum(kv => kv.Value.NumberOfElements) * 4.0;
        Assert.Equal(otherBytes + blockBytes, pseudoBytes);
        Assert.Equal(otherBytes + 3 * blockBytes, realBytes);

        // Resume the ZeRO-2 run on 2 ranks from its step-4 checkpoint (in the real stage): the same end as uninterrupted.
        var resumed = MpiRun.Run(_dir, 2, "train", Config("resumed", 2), "--threads", "1", "--resume", Checkpoint("zero2", 4));
        Assert.True(resumed.ExitCode == 0, resumed.StdOut + resumed.StdErr);
        TensorFiles.AssertClose(Load(Checkpoint("zero2", 6), "model.safetensors"), Load(Checkpoint("resumed", 6), "model.safetensors"), "resumed weights");
        TensorFiles.AssertClose(Load(Checkpoint("zero2", 6), "optimizer.safetensors"), Load(Checkpoint("resumed", 6), "optimizer.safetensors"), "resumed AdamW state");

        // One process reads the distributed checkpoint whole.
        var eval = GiantProcess.Run(_dir, "eval", Path.Combine(_dir, "zero2"), _corpus.Dir, "--threads", "1");
        Assert.True(eval.ExitCode == 0, eval.StdErr);
        Assert.Contains("val", eval.StdOut);
    }

    [MpiFact]
    public void A_config_two_ranks_cannot_run_is_refused_by_every_rank_in_one_line()
    {
        var r = MpiRun.Run(_dir, 2, "train", Config("bad", 0, """, "delink": { "when": "auto" }"""), "--threads", "1");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Equal(2, r.StdErr.Split('\n').Count(l => l.Contains("giant: error: config 'delink.when'")));
        Assert.DoesNotContain("   at ", r.StdErr);

        var odd = MpiRun.Run(_dir, 2, "train", Config("odd", 0), "--threads", "1", "--set", "stages[1].micro_batch=3", "--set", "stages[1].global_batch=3");
        Assert.NotEqual(0, odd.ExitCode);
        Assert.Contains("config 'stages[1].global_batch'", odd.StdErr);
    }
}
