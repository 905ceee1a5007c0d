namespace GiantSharp.Tests.Cli;

/// <summary><c>giant train</c> with an <c>offload</c> section, end to end through the CLI: train, resume, evaluate, and refuse a bad offload directory.</summary>
public class OffloadCliTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "giant-cli-off-" + Guid.NewGuid().ToString("N"));

    public OffloadCliTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Config(string dataDir, string offloadDir, int realSteps = 3)
    {
        var path = Path.Combine(_dir, "run.json");
        File.WriteAllText(path, $$"""
            { "data": { "dir": "{{dataDir}}" }, "out_dir": "{{Path.Combine(_dir, "run")}}",
              "model": { "n_layer": 3, "n_head": 2, "d_model": 16, "d_ff": 32, "seq_len": 16 },
              "stages": [ { "name": "pseudo", "sharing": "all", "steps": 2, "micro_batch": 2, "global_batch": 4, "offload": false },
                          { "name": "real", "sharing": "none", "steps": {{realSteps}}, "micro_batch": 2, "global_batch": 4 } ],
              "offload": { "params": "disk", "grads": "host", "optimizer": "disk", "layers": 2, "dir": "{{offloadDir}}" },
              "eval": { "every": 0, "sequences": 4 }, "checkpoint": { "every": 1, "keep": 2 } }
            """);
        return path;
    }

    [Fact]
    public void Train_resume_and_eval_an_offloaded_real_giant()
    {
        using var corpus = new TinyCorpus();
        var store = Path.Combine(_dir, "nvme");
        var train = GiantProcess.Run(_dir, "train", Config(corpus.Dir, store), "--threads", "1");
        Assert.True(train.ExitCode == 0, train.StdErr);
        Assert.Contains("offloaded: params disk, grads host, optimizer disk, layers 2", train.StdOut);
        Assert.True(Directory.Exists(Path.Combine(_dir, "run", "checkpoints", "step-00000005", "offload")));
        Assert.Empty(Directory.GetFileSystemEntries(store));                     // the run's store files are gone

        var resumed = GiantProcess.Run(_dir, "train", Config(corpus.Dir, store, realSteps: 5), "--threads", "1", "--resume", Path.Combine(_dir, "run"));
        Assert.True(resumed.ExitCode == 0, resumed.StdErr);
        Assert.Contains("step 7/7", resumed.StdOut);

        var eval = GiantProcess.Run(_dir, "eval", Path.Combine(_dir, "run"), corpus.Dir, "--threads", "1");
        Assert.True(eval.ExitCode == 0, eval.StdErr);
        Assert.Contains("val", eval.StdOut);
    }

    [Fact]
    public void Unwritable_offload_directory_is_one_clear_line()
    {
        using var corpus = new TinyCorpus();
        var file = Path.Combine(_dir, "not-a-dir");
        File.WriteAllText(file, "x");
        var r = GiantProcess.Run(_dir, "train", Config(corpus.Dir, file), "--threads", "1");
        Assert.NotEqual(0, r.ExitCode);
        var lines = r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.Contains("not-a-dir", lines[0]);
        Assert.DoesNotContain("   at ", r.StdErr);
    }
}
