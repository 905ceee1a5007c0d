using GiantSharp.Config;
using GiantSharp.Errors;
using GiantSharp.Model;
using GiantSharp.Training;
using GiantSharp.Training.Optim;
using GiantSharp.Training.Steps;
using static TorchSharp.torch;

namespace GiantSharp.Tests.Training;

/// <summary>A NaN loss or gradient norm stops the run (or skips the step, by config) and never reaches a checkpoint.</summary>
public class NonFiniteStepTests
{
    /// <summary>The resident step, with one weight set to NaN during step <paramref name="poisoned"/> (1-based call count) and restored after.</summary>
    private sealed class PoisonedStep(int poisoned) : ITrainStep
    {
        private readonly ResidentTrainStep _inner = new();
        private int _calls;
        public List<(StepResult Result, Dictionary<string, Tensor> Before, Dictionary<string, Tensor> After)> Poisoned { get; } = [];

        public StepResult Step(GptModel model, AdamW optimizer, IReadOnlyList<MicroBatch> microBatches, double lr, double gradClip)
        {
            if (++_calls != poisoned) return _inner.Step(model, optimizer, microBatches, lr, gradClip);
            var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope());
            var weight = model.state_dict()["wte.weight"];
            using (no_grad()) weight[0, 0] = float.NaN;
            var result = _inner.Step(model, optimizer, microBatches, lr, gradClip);
            using (no_grad()) weight[0, 0] = before["wte.weight"][0, 0];
            Poisoned.Add((result, before, model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope())));
            return result;
        }

        public void Dispose() => _inner.Dispose();
    }

    [Fact]
    public void Skip_withholds_the_update_passes_the_batch_over_and_finishes_the_run()
    {
        using var corpus = new TinyCorpus();
        using var data = corpus.Open();
        var config = corpus.Run(3, 1) with { Stages = [corpus.Run(3, 1).Stages[0]], Optimizer = new OptimizerConfig { OnNonfinite = NonFinitePolicy.Skip } };
        var step = new PoisonedStep(poisoned: 2);
        using var trainer = new Trainer(config, data, stepFactory: _ => step);
        var notices = new NoticeObserver();
        trainer.Observers.Add(notices);
        trainer.Run();
        var (result, before, after) = Assert.Single(step.Poisoned);
        Assert.False(result.Applied);
        Assert.True(double.IsNaN(result.GradNorm) || double.IsNaN(result.Loss));
        foreach (var (name, t) in before) Assert.True(t.eq(after[name]).all().item<bool>(), name);   // AdamW left the weights alone
        Assert.Equal(3, trainer.State.GlobalStep);
        Assert.Equal(4 * config.Stages[0].AccumulationSteps, trainer.State.DataPosition);   // 3 steps + the batch passed over
        Assert.Contains(notices.Lines, l => l.Contains("update skipped"));
        Assert.All(trainer.Model.parameters(), p => Assert.False(p.isnan().any().item<bool>()));
    }

    [Fact]
    public void Stop_throws_naming_the_step_and_writes_no_checkpoint_of_it()
    {
        using var corpus = new TinyCorpus();
        using var data = corpus.Open();
        var config = corpus.Run(3, 1) with { Stages = [corpus.Run(3, 1).Stages[0]], Checkpoint = new CheckpointConfig { Every = 1, Keep = 5 } };
        using var trainer = new Trainer(config, data, stepFactory: _ => new PoisonedStep(poisoned: 2));
        var e = Assert.Throws<TrainingDivergedException>(() => trainer.Run());
        Assert.Contains("step 2", e.Message);
        Assert.Contains("step-00000001", e.Message);
        var store = new GiantSharp.Checkpointing.CheckpointStore(Path.Combine(config.OutDir, "checkpoints"));
        Assert.EndsWith("step-00000001", store.Latest());
        Assert.Single(Directory.GetDirectories(store.Root, "step-*"));
    }

    private sealed class NoticeObserver : ITrainingObserver
    {
        public List<string> Lines { get; } = [];
        public void OnNotice(string text) => Lines.Add(text);
    }
}
