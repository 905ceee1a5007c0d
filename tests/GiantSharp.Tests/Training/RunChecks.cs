using GiantSharp.Config;
using GiantSharp.Data;
using GiantSharp.Training;

namespace GiantSharp.Tests.Training;

/// <summary>Checks shared by the trainer tests: two runs log the same numbers; a run stopped and resumed continues as if uninterrupted.</summary>
internal static class RunChecks
{
    /// <summary>
    /// Runs <paramref name="split"/> until step <paramref name="stopAt"/> (it must checkpoint there), lets
    /// <paramref name="inspect"/> look at that checkpoint folder, resumes from the run folder, and returns what the resumed part logged.
    /// </summary>
    public static RecordingObserver StopAndResume(RunConfig split, ITrainingCorpus data, int stopAt, Action<string>? inspect = null)
    {
        using (var cts = new CancellationTokenSource())
        using (var t = new Trainer(split, data, [new StopAt(stopAt, cts)]))
            t.Run(cts.Token);
        var ckpt = Path.Combine(split.OutDir, "checkpoints", $"step-{stopAt:D8}");
        Assert.True(Directory.Exists(ckpt), $"no checkpoint at step {stopAt}");
        inspect?.Invoke(ckpt);
        var resumed = new RecordingObserver();
        using (var t = new Trainer(split, data, [resumed], resumeFrom: split.OutDir)) t.Run();
        return resumed;
    }

    /// <summary>
    /// Runs <paramref name="config"/> whole, then a twin that checkpoints every 4 steps, stops after
    /// <paramref name="stopAt"/> and resumes (<see cref="StopAndResume"/>), and asserts the resumed part logs the
    /// remaining steps with the whole run's numbers.
    /// </summary>
    public static void AssertResumeEqualsUninterrupted(RunConfig config, ITrainingCorpus data, int stopAt, Action<string>? inspect = null)
    {
        var whole = new RecordingObserver();
        using (var t = new Trainer(config, data, [whole])) t.Run();
        var split = config with
        {
            Name = config.Name + "-split", OutDir = config.OutDir + "-split",
            Checkpoint = new CheckpointConfig { Every = 4, Keep = 3 },
        };
        var resumed = StopAndResume(split, data, stopAt, inspect);
        Assert.Equal(Enumerable.Range(stopAt + 1, config.TotalSteps - stopAt), resumed.Steps.Select(s => s.Step));
        AssertSameNumbers(whole, resumed);
    }

    /// <summary>Every step <paramref name="actual"/> logged has the loss <paramref name="expected"/> logged at that step (within 1e-5), and the last val losses agree.</summary>
    public static void AssertSameNumbers(RecordingObserver expected, RecordingObserver actual)
    {
        Assert.NotEmpty(actual.Steps);
        var byStep = expected.Steps.ToDictionary(s => s.Step);
        foreach (var s in actual.Steps)
            Assert.True(Math.Abs(byStep[s.Step].Loss - s.Loss) <= 1e-5, $"step {s.Step}: {byStep[s.Step].Loss} vs {s.Loss}");
        Assert.Equal(expected.Evals[^1].ValLoss, actual.Evals[^1].ValLoss, 5);
    }
}
