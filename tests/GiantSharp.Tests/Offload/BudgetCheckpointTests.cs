using GiantSharp.Checkpointing;
using GiantSharp.Config;
using GiantSharp.Offload;
using GiantSharp.Tests.Training;

namespace GiantSharp.Tests.Offload;

/// <summary>
/// A budgeted run (offload.max_memory) saves its config with every offload key, which the loader refuses beside
/// max_memory: its checkpoints must still read back (eval, generate, --init-from) and resume.
/// </summary>
[Collection(OffloadCollection.Name)]
public class BudgetCheckpointTests
{
    [Fact]
    public void A_budgeted_runs_checkpoints_read_back_and_resume_as_if_uninterrupted()
    {
        using var corpus = new TinyCorpus();
        using var data = corpus.Open();
        var run = corpus.Run(pseudoSteps: 4, realSteps: 6, name: "budget");
        var config = run with
        {
            Offload = new OffloadConfig { MaxMemory = 1L << 40, Dir = Path.Combine(corpus.Root, "store") },
            Stages = [run.Stages[0], run.Stages[1] with { Offload = true }],  // the Real Giant streams: its checkpoints have an offload part
        };
        RunChecks.AssertResumeEqualsUninterrupted(config.Validate(), data, stopAt: 8);
        var final = CheckpointStore.Resolve(config.OutDir);
        var saved = System.Text.Json.Nodes.JsonNode.Parse(System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(final, "state.json")))!["config_json"]!.GetValue<string>())!;
        Assert.NotNull(saved["offload"]!["params"]);                         // the saved config has the planned keys the loader refuses beside max_memory
        using var loaded = LoadedCheckpoint.Open(final);                       // eval, generate and --init-from read it whole
        Assert.Equal(10, loaded.State.GlobalStep);
        Assert.Equal(1L << 40, loaded.Config.Offload!.MaxMemory);
        Assert.NotEmpty(loaded.State.Offloaded);                              // its streamed layers came from the offload part
        var whole = new RecordingObserver();
        using (var t = new GiantSharp.Training.Trainer(config with { OutDir = config.OutDir + "-again" }, data, [whole])) t.Run();
        Assert.Equal(whole.Evals[^1].ValLoss, GiantSharp.Training.Evaluator.Loss(loaded.Model, data, config.Eval.Sequences, 4), 5);
    }
}
