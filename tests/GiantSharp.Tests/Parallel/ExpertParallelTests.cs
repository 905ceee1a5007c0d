using System.Text.Json;
using GiantSharp.Tests.Cli;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace GiantSharp.Tests.Parallel;

/// <summary>
/// Expert parallelism on 2 ranks (each computes 2 of the 4 experts of every MoE layer, tokens exchanged by all-to-all)
/// against one process: the same losses, MoE drop fractions (capacity factor 1, so tokens are dropped), gradient norms and
/// weights, through a delinking (the new blocks' experts are partitioned again), with ZeRO 1.
/// </summary>
public class ExpertParallelTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "giant-mpi-ep-" + Guid.NewGuid().ToString("N"));
    private readonly TinyCorpus _corpus = new();

    public ExpertParallelTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        _corpus.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private string Config(string name)
    {
        var path = Path.Combine(_dir, name + ".json");
        File.WriteAllText(path, $$"""
            { "name": "{{name}}", "data": { "dir": "{{_corpus.Dir}}" }, "out_dir": "{{Path.Combine(_dir, name)}}",
              "model": { "n_layer": 2, "n_head": 2, "d_model": 16, "d_ff": 32, "seq_len": 16, "dropout": 0.0,
                "moe": { "num_experts": 4, "top_k": 1, "num_prototypes": 1, "capacity_factor": 1.0, "aux_loss_coef": 0.01,
                         "router_z_loss_coef": 0.001, "router_jitter": 0.0 } },
              "schedule": { "lr": 3e-3, "warmup_steps": 2 },
              "stages": [ { "name": "pseudo", "sharing": "all", "steps": 2, "micro_batch": 4, "global_batch": 8 },
                          { "name": "real", "sharing": "none", "steps": 2, "micro_batch": 4, "global_batch": 8 } ],
              "parallel": { "expert_parallel": true, "zero_stage": 1 },
              "eval": { "every": 0, "sequences": 4 }, "checkpoint": { "every": 0, "keep": 1 }, "log_every": 1 }
            """);
        return path;
    }

    private static List<JsonElement> Steps(string runDir) => File.ReadAllLines(Path.Combine(runDir, "metrics.jsonl"))
        .Select(l => JsonDocument.Parse(l).RootElement).Where(e => e.GetProperty("type").GetString() == "step").ToList();

    [MpiFact]
    public void Two_ranks_with_partitioned_experts_equal_one_process()
    {
        var one = GiantProcess.Run(_dir, "train", Config("one"), "--threads", "1");
        Assert.True(one.ExitCode == 0, one.StdErr);
        var two = MpiRun.Run(_dir, 2, "train", Config("two"), "--threads", "1");
        Assert.True(two.ExitCode == 0, two.StdOut + two.StdErr);
        var (a, b) = (Steps(Path.Combine(_dir, "one")), Steps(Path.Combine(_dir, "two")));
        Assert.Equal(4, b.Count);
        Assert.True(a.Sum(s => s.GetProperty("moe/dropped_fraction").GetDouble()) > 0, "the test should drop tokens");
        for (int i = 0; i < 4; i++)
        {
            foreach (var key in new[] { "loss", "grad_norm", "moe/dropped_fraction", "moe/aux_loss" })
            {
                double x = a[i].GetProperty(key).GetDouble(), y = b[i].GetProperty(key).GetDouble();
                Assert.True(Math.Abs(x - y) <= 1e-5 * Math.Max(1e-3, Math.Abs(x)), $"{key} at step {i + 1}: {x} vs {y}");
            }
            Assert.True(b[i].GetProperty("parallel/expert_bytes").GetDouble() > 0);
        }
        var ckpt = (string run) => Safetensors.LoadStateDict(Path.Combine(_dir, run, "checkpoints", "step-00000004", "model.safetensors"));
        var (wa, wb) = (ckpt("one"), ckpt("two"));
        Assert.Contains("h.1.mlp.experts.w_fc", wa.Keys);
        TensorFiles.AssertClose(wa, wb, "weights");
    }
}
