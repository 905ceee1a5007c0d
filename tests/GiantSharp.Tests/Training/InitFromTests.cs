using GiantSharp.Checkpointing;
using GiantSharp.Config;
using GiantSharp.Errors;
using GiantSharp.Sharing;
using GiantSharp.Training;
using static TorchSharp.torch;

namespace GiantSharp.Tests.Training;

/// <summary>
/// <c>giant train --init-from</c> (litgpt's --initial_checkpoint_dir): a fresh run (step 0, fresh schedule and AdamW)
/// from any checkpoint's exact weights, shared or delinked; a shape or sharing that differs is refused naming both.
/// </summary>
[Collection(GlobalRngCollection.Name)]
public class InitFromTests
{
    /// <summary>Trains a 2+2-step Pseudo-to-Real run; returns its pseudo-end (shared) and final (delinked) checkpoints.</summary>
    private static (string Pseudo, string Real) Trained(TinyCorpus corpus)
    {
        var run = corpus.Run(pseudoSteps: 2, realSteps: 2, name: "source");
        using (var data = corpus.Open())
        using (var trainer = new Trainer(run, data)) trainer.Run();
        var store = Path.Combine(run.OutDir, "checkpoints");
        return (Path.Combine(store, "step-00000002"), Path.Combine(store, "step-00000004"));
    }

    private static Dictionary<string, float[]> Weights(GiantSharp.Model.GptModel model) =>
        model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().cpu().data<float>().ToArray());

    [Fact]
    public void A_shared_checkpoint_gives_its_exact_weights_at_step_0_and_training_proceeds()
    {
        using var corpus = new TinyCorpus();
        var (pseudo, _) = Trained(corpus);
        using var data = corpus.Open();
        using var source = LoadedCheckpoint.Open(pseudo);
        var run = corpus.Run(pseudoSteps: 3, realSteps: 2, name: "fresh");
        using var trainer = new Trainer(run, data, initFrom: pseudo);

        Assert.Equal(0, trainer.State.GlobalStep);
        Assert.Equal(0, trainer.State.StageIndex);
        Assert.Empty(trainer.Optimizer.State);                                 // fresh AdamW
        Assert.Equal(pseudo, trainer.State.InitializedFrom);
        Assert.Single(trainer.Model.Layers.UniqueBlocks);                      // wired as stage 0 (all), as the checkpoint
        var expected = Weights(source.Model);
        var actual = Weights(trainer.Model);
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, values) in expected) Assert.Equal(values, actual[name]);

        trainer.Run();
        Assert.Equal(5, trainer.State.GlobalStep);                             // its own 3 + 2 steps, from step 0
        Assert.NotEqual(expected["wte.weight"], Weights(trainer.Model)["wte.weight"]);
        Assert.Equal(pseudo, CheckpointStore.ReadState(CheckpointStore.Resolve(run.OutDir)).State.InitializedFrom);
    }

    [Fact]
    public void A_delinked_checkpoint_starts_a_sharing_none_run_with_the_same_logits()
    {
        using var corpus = new TinyCorpus();
        var (_, real) = Trained(corpus);
        using var data = corpus.Open();
        using var source = LoadedCheckpoint.Open(real);
        var run = corpus.Run(name: "real-only") with
        {
            Stages = [new StageConfig { Name = "real", Sharing = SharingPlan.None, Steps = 2, MicroBatch = 4, GlobalBatch = 8 }],
        };
        using var trainer = new Trainer(run.Validate(), data, initFrom: real);
        Assert.Equal(4, trainer.Model.Layers.UniqueBlocks.Count);
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            var (x, _) = data.ValBatch(16, 4, 4, 0);
            trainer.Model.eval();
            Assert.Equal(source.Model.call(x).data<float>().ToArray(), trainer.Model.call(x).data<float>().ToArray());
            trainer.Model.train();
        }
        trainer.Run();
        Assert.Equal(2, trainer.State.GlobalStep);
    }

    [Fact]
    public void A_shape_or_sharing_that_differs_is_refused_naming_both()
    {
        using var corpus = new TinyCorpus();
        var (pseudo, real) = Trained(corpus);
        using var data = corpus.Open();
        var run = corpus.Run(name: "other");

        var wider = run with { Model = run.Model with { DFf = 128 } };
        var shape = Assert.Throws<ConfigException>(() => new Trainer(wider, data, initFrom: pseudo));
        Assert.Equal("model.d_ff", shape.Key);
        Assert.Contains("is 128 but checkpoint", shape.Message);
        Assert.Contains("has 64", shape.Message);

        var dropout = run with { Model = run.Model with { Dropout = 0.1 } };     // not a shape: allowed
        using (var t = new Trainer(dropout, data, initFrom: pseudo)) Assert.Equal(0, t.State.GlobalStep);

        var none = run with { Stages = [run.Stages[1]] };
        var sharing = Assert.Throws<ConfigException>(() => new Trainer(none.Validate(), data, initFrom: pseudo));
        Assert.Equal("stages[0].sharing", sharing.Key);
        Assert.Contains("[0,1,2,3]", sharing.Message);
        Assert.Contains("[0,0,0,0]", sharing.Message);
        Assert.Contains("giant delink", sharing.Message);

        var both = Assert.Throws<ConfigException>(() => new Trainer(run, data, resumeFrom: real, initFrom: pseudo));
        Assert.Equal("--init-from", both.Key);
    }
}
