using System.Diagnostics;
using GiantSharp.Tests.Cli;

namespace GiantSharp.Tests.Parallel;

/// <summary>A rank killed mid-run (SIGKILL) ends the whole 2-rank job, non-zero, within 30 s, and the last checkpoint is intact.</summary>
public class RankFailureTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "giant-mpi-kill-" + Guid.NewGuid().ToString("N"));
    private readonly TinyCorpus _corpus = new();

    public RankFailureTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        _corpus.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>The bound this test holds the job to, from the kill to mpirun's exit.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [MpiFact]
    public void A_killed_rank_stops_the_job_within_the_bound_with_the_last_checkpoint_intact()
    {
        var config = Path.Combine(_dir, "run.json");
        var runDir = Path.Combine(_dir, "run");
        File.WriteAllText(config, $$"""
            { "data": { "dir": "{{_corpus.Dir}}" }, "out_dir": "{{runDir}}",
              "model": { "n_layer": 2, "n_head": 2, "d_model": 16, "d_ff": 32, "seq_len": 16 },
              "stages": [ { "name": "real", "sharing": "none", "steps": 100000, "micro_batch": 2, "global_batch": 2 } ],
              "eval": { "every": 0, "sequences": 4 }, "checkpoint": { "every": 2, "keep": 2 }, "log_every": 1 }
            """);
        using var job = MpiRun.Start(_dir, 2, "train", config, "--threads", "1");
        var stdout = job.StandardOutput.ReadToEndAsync();
        var stderr = job.StandardError.ReadToEndAsync();
        var latest = Path.Combine(runDir, "checkpoints", "latest");
        var wait = Stopwatch.StartNew();
        while (!File.Exists(latest) && !job.HasExited && wait.Elapsed < TimeSpan.FromSeconds(120)) Thread.Sleep(100);
        Assert.True(File.Exists(latest), "no checkpoint before the kill: " + (job.HasExited ? stderr.Result : "timed out"));

        var rank1 = RankProcess(job.Id, 1);
        Assert.NotNull(rank1);
        rank1!.Kill();
        var clock = Stopwatch.StartNew();
        var exited = job.WaitForExit((int)Bound.TotalMilliseconds);
        if (!exited) job.Kill(entireProcessTree: true);
        Assert.True(exited, $"mpirun still running {Bound.TotalSeconds} s after rank 1 was killed");
        Assert.NotEqual(0, job.ExitCode);
        _ = stdout.Result + stderr.Result;

        var eval = GiantProcess.Run(_dir, "eval", runDir, _corpus.Dir, "--threads", "1");     // the last checkpoint loads
        Assert.True(eval.ExitCode == 0, eval.StdErr);
    }

    /// <summary>The child of <paramref name="launcher"/> whose environment says it is MPI rank <paramref name="rank"/>.</summary>
    private static Process? RankProcess(int launcher, int rank)
    {
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var ppid = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
                if (ppid != launcher) continue;
                var env = File.ReadAllText(Path.Combine(dir, "environ")).Split('\0');
                if (env.Contains($"OMPI_COMM_WORLD_RANK={rank}")) return Process.GetProcessById(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or ArgumentException) { }
        }
        return null;
    }
}
