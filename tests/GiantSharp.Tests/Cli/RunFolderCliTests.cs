namespace GiantSharp.Tests.Cli;

/// <summary>
/// What a refused <c>giant train</c> leaves behind: nothing new (no folder of its own), and never a rewritten history of
/// an earlier run (a checkpoint from another folder resumed into it is refused as a fresh run would be).
/// </summary>
public sealed class RunFolderCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("giant-runfolder-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Config(string dataDir)
    {
        var path = Path.Combine(_dir, "run.json");
        File.WriteAllText(path, $$"""
            { "name": "t", "out_dir": "{{Path.Combine(_dir, "runs", "a")}}", "data": { "dir": "{{dataDir}}" },
              "model": { "n_layer": 2, "n_head": 2, "d_model": 16, "d_ff": 32, "seq_len": 16 },
              "stages": [ { "name": "pseudo", "sharing": "all", "steps": 2, "micro_batch": 2, "global_batch": 2 },
                          { "name": "real", "sharing": "none", "steps": 2, "micro_batch": 2, "global_batch": 2 } ] }
            """);
        return path;
    }

    [Fact]
    public void A_run_refused_before_training_leaves_no_folder_of_its_own()
    {
        using var corpus = new TinyCorpus();
        var config = Config(corpus.Dir);
        var refused = GiantProcess.Run(_dir, "train", config, "--set", "data.tokenizer=gpt2");
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("data.tokenizer", refused.StdErr);
        Assert.False(Directory.Exists(Path.Combine(_dir, "runs", "a")));
    }

    [Fact]
    public void Resuming_another_folders_checkpoint_into_a_finished_run_is_refused_and_its_metrics_kept()
    {
        using var corpus = new TinyCorpus();
        var config = Config(corpus.Dir);
        Assert.Equal(0, GiantProcess.Run(_dir, "train", config).ExitCode);
        var other = Path.Combine(_dir, "runs", "b");
        Assert.Equal(0, GiantProcess.Run(_dir, "train", config, "--set", $"out_dir={other}", "--set", "stages[1].steps=1").ExitCode);
        var metrics = Path.Combine(_dir, "runs", "a", "metrics.jsonl");
        var before = File.ReadAllText(metrics);

        var r = GiantProcess.Run(_dir, "train", config, "--resume", other);
        Assert.Equal(6, r.ExitCode);
        Assert.Contains("holds an earlier run's checkpoints", Assert.Single(r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.Equal(before, File.ReadAllText(metrics));
        // Its own folder resumes as before (here: complete, so the one line says how to go on).
        Assert.Equal(2, GiantProcess.Run(_dir, "train", config, "--resume", Path.Combine(_dir, "runs", "a")).ExitCode);
    }
}
