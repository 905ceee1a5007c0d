using System.Globalization;
using System.Text.RegularExpressions;
using GiantSharp.Tests.Training;
using GiantSharp.Training;

namespace GiantSharp.Tests.Cli;

/// <summary><c>giant eval</c> evaluates, by default, the same validation sequences as the run's own evaluations, and says how many.</summary>
[Collection(GlobalRngCollection.Name)]
public class EvalCommandTests
{
    [Fact]
    public void Eval_by_default_matches_the_runs_last_evaluation_and_prints_the_count()
    {
        using var corpus = new TinyCorpus();
        var run = corpus.Run(pseudoSteps: 1, realSteps: 2) with { Eval = new GiantSharp.Config.EvalConfig { Every = 0, Sequences = 6 } };
        var seen = new RecordingObserver();
        using (var data = corpus.Open())
        using (var trainer = new Trainer(run, data, [seen])) trainer.Run();
        var last = seen.Evals[^1].ValLoss;                                    // the final stage's end, in training (micro_batch 4)

        var r = GiantProcess.Run(corpus.Root, "eval", run.OutDir, corpus.Dir, "--threads", "1", "--batch", "5");
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Contains("over 6 sequences x 16 tokens (eval.sequences of the checkpoint's config, as in training", r.StdOut);
        var printed = double.Parse(Regex.Match(r.StdOut, @"val loss ([0-9.]+) nats/token").Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(Math.Abs(printed - last) <= 0.51e-4, $"giant eval {printed}, training {last}");   // printed to 4 decimals; other batches, same rows

        var asked = GiantProcess.Run(corpus.Root, "eval", run.OutDir, corpus.Dir, "--threads", "1", "--sequences", "3");
        Assert.Contains("over 3 sequences x 16 tokens (--sequences)", asked.StdOut);
    }
}
