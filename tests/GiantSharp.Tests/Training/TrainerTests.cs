using GiantSharp.Checkpointing;
using GiantSharp.Config;
using GiantSharp.Errors;
using GiantSharp.Sharing;
using GiantSharp.Training;
using GiantSharp.Training.Steps;
using TorchSharp;
using static TorchSharp.torch;

namespace GiantSharp.Tests.Training;

[Collection(GlobalRngCollection.Name)]
public class TrainerTests
{
    [Fact]
    public void Tiny_model_overfits_one_batch()
    {
        using var corpus = new TinyCorpus();
        using var data = corpus.Open();
        var config = corpus.Run() with { Model = corpus.Run().Model with { DModel = 64, DFf = 256 } };
        using var trainer = new Trainer(config, data);
        using var scope = NewDisposeScope();
        var (x, y) = new GiantSharp.Data.BatchSampler(data.Train, 16, 1).Batch(0, 4);
        var step = new ResidentTrainStep();
        double loss = double.NaN;
        for (int i = 0; i < 150; i++)
            loss = step.Step(trainer.Model, trainer.Optimizer, [new MicroBatch(x, y)], 1e-2, 1.0).Loss;
        Assert.True(loss < 0.05, $"loss after 150 steps on one batch: {loss}");
    }

    [Fact]
    public void Stage_switch_delinks_and_continues_the_loss_without_a_jump()
    {
        using var corpus = new TinyCorpus();
        using var data = corpus.Open();
        var rec = new RecordingObserver();
        using var trainer = new Trainer(corpus.Run(pseudoSteps: 30, realSteps: 10), data, [rec]);
        Assert.Single(trainer.Model.Layers.UniqueBlocks);
        using var scope = NewDisposeScope();
        // The function is preserved across the switch: the delinked model's loss on a batch equals the shared one's.
        trainer.Run();
        Assert.Equal(4, trainer.Model.Layers.UniqueBlocks.Count);
        Assert.Equal(new[] { (0, false), (1, true) }, rec.StageStarts);
        var last = rec.Steps.Where(s => s.Stage == "pseudo").TakeLast(3).Average(s => s.Loss);
        var first = rec.Steps.Where(s => s.Stage == "real").Take(3).Average(s => s.Loss);
        Assert.True(first < last + 0.15, $"loss jumped at the switch: {last:F3} -> {first:F3}");
        Assert.True(rec.Steps[^1].Loss < rec.Steps[0].Loss - 0.5, "training did not reduce the loss");
        Assert.Equal(2, rec.Evals.Count);
    }

    [Fact]
    public void Resume_reproduces_the_uninterrupted_run()
    {
        using var corpus = new TinyCorpus();
        using var data = corpus.Open();
        var config = corpus.Run(pseudoSteps: 6, realSteps: 6, name: "whole") with { Model = corpus.Run().Model with { Dropout = 0.1 } };
        RunChecks.AssertResumeEqualsUninterrupted(config, data, stopAt: 8);
    }

    [Fact]
    public void No_tensor_leaks_across_200_steps()
    {
        using var corpus = new TinyCorpus();
        using var data = corpus.Open();
        var config = corpus.Run(pseudoSteps: 105, realSteps: 105) with
        {
            Model = corpus.Run().Model with { NLayer = 2, DModel = 16, DFf = 32 },
            Eval = new EvalConfig { Every = 50, Sequences = 4 },
            Checkpoint = new CheckpointConfig { Every = 30, Keep = 1 },
        };
        var probe = new LiveTensorProbe();
        using var trainer = new Trainer(config, data, [probe]);
        trainer.Run();
        // Steps 1-5 create the optimizer state; the switch at 105 delinks. Count from step 10 to 100 and 110 to 210.
        Assert.Equal(probe.At[10], probe.At[100]);
        Assert.Equal(probe.At[110], probe.At[210]);
    }

    [Fact]
    public void Failed_checkpoint_save_keeps_the_last_good_one()
    {
        using var corpus = new TinyCorpus();
        using var data = corpus.Open();
        var config = corpus.Run(pseudoSteps: 2, realSteps: 2);
        using var trainer = new Trainer(config, data);
        trainer.Run();
        var store = new CheckpointStore(Path.Combine(config.OutDir, "checkpoints"));
        var good = store.Latest()!;
        var goodBytes = Directory.GetFiles(good).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
        store.BeforePublish = _ => throw new IOException("No space left on device");
        var e = Assert.Throws<DataException>(() => store.Save(trainer.Model, trainer.Optimizer, trainer.State with { GlobalStep = 99 }, 2));
        Assert.Contains("last good checkpoint kept", e.Message);
        Assert.Equal(good, store.Latest());
        foreach (var (name, bytes) in goodBytes) Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(good, name)));
        Assert.Empty(Directory.GetDirectories(store.Root, ".tmp-*"));
    }

    [Fact]
    public void Checkpoint_round_trips_model_and_optimizer()
    {
        using var corpus = new TinyCorpus();
        using var data = corpus.Open();
        var config = corpus.Run(pseudoSteps: 2, realSteps: 2);
        using var trainer = new Trainer(config, data);
        trainer.Run();
        var dir = CheckpointStore.Resolve(config.OutDir);
        var (state, saved) = CheckpointStore.ReadState(dir);
        Assert.Equal(4, state.GlobalStep);
        Assert.Equal(ConfigLoader.ToJson(trainer.Config), ConfigLoader.ToJson(saved));
        using var model = CheckpointStore.LoadModel(dir, saved, state);
        var a = trainer.Model.state_dict();
        foreach (var (name, t) in model.state_dict()) Assert.True(t.allclose(a[name], rtol: 0, atol: 0), name);
    }

    [Fact]
    public void Resume_with_a_different_model_is_refused_naming_the_key()
    {
        using var corpus = new TinyCorpus();
        using var data = corpus.Open();
        var config = corpus.Run(pseudoSteps: 1, realSteps: 1);
        using (var t = new Trainer(config, data)) t.Run();
        var other = config with { Model = config.Model with { DModel = 64 } };
        var e = Assert.Throws<ConfigException>(() => new Trainer(other, data, resumeFrom: config.OutDir));
        Assert.Equal("model", e.Key);
    }
}
