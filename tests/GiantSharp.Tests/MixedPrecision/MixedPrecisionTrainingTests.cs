using GiantSharp.Checkpointing;
using GiantSharp.Config;
using GiantSharp.MixedPrecision;
using GiantSharp.Model;
using GiantSharp.Sharing;
using GiantSharp.Tests.Training;
using GiantSharp.Training;
using GiantSharp.Training.Optim;
using GiantSharp.Training.Steps;
using static TorchSharp.torch;

namespace GiantSharp.Tests.MixedPrecision;

[Collection(GlobalRngCollection.Name)]
public class MixedPrecisionTrainingTests
{
    /// <summary>The spacing of bfloat16 numbers (8 significant bits) at <paramref name="value"/>: 2^(floor(log2 |value|) - 7).</summary>
    private static double Bf16Ulp(double value) => Math.Pow(2, Math.Floor(Math.Log2(Math.Abs(value))) - 7);

    private static RecordingObserver Train(RunConfig config, GiantSharp.Data.ITrainingCorpus data, Action<Trainer>? after = null)
    {
        var rec = new RecordingObserver();
        using var trainer = new Trainer(config, data, [rec]);
        trainer.Run();
        after?.Invoke(trainer);
        return rec;
    }

    /// <remarks>
    /// Tolerance: one bf16 ulp of the loss (0.0156 nats at a loss between 2 and 4). A loss computed in bf16 could only be
    /// told apart from fp32 at that spacing; ours is an fp32 loss over logits from bf16 matmuls, whose relative rounding
    /// (2^-9 per element) averages out over the batch, so the curves must agree well inside it (tang-tiny, 6 steps: 7e-4 at most).
    /// A delinking run (shared 8 steps, then 8 delinked) checks the masters and moments delink too.
    /// </remarks>
    [Fact]
    public void Bf16_training_tracks_the_fp32_loss_curve_within_a_bf16_ulp()
    {
        using var corpus = new TinyCorpus();
        using var data = corpus.Open();
        var fp32 = Train(corpus.Run(pseudoSteps: 8, realSteps: 8, name: "fp32"), data);
        var bf16 = Train(corpus.Run(pseudoSteps: 8, realSteps: 8, name: "bf16") with { Precision = Precision.Bf16 }, data, trainer =>
        {
            Assert.Equal(4, trainer.Model.Layers.UniqueBlocks.Count);
            Assert.All(trainer.Model.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
            var names = trainer.Model.named_parameters().Select(np => np.name).ToHashSet();
            Assert.Equal(names, trainer.Optimizer.State.Keys.ToHashSet());                   // moments delinked with the masters
            Assert.All(trainer.Optimizer.State.Values, s =>
            {
                Assert.Equal(ScalarType.Float32, s.ExpAvg.dtype);
                Assert.Equal(ScalarType.Float32, s.ExpAvgSq.dtype);
            });
        });
        Assert.Equal(fp32.Steps.Count, bf16.Steps.Count);
        var diffs = fp32.Steps.Zip(bf16.Steps, (a, b) => Math.Abs(a.Loss - b.Loss)).ToArray();
        for (int i = 0; i < diffs.Length; i++)
            Assert.True(diffs[i] <= Bf16Ulp(fp32.Steps[i].Loss), $"step {i + 1}: fp32 {fp32.Steps[i].Loss} bf16 {bf16.Steps[i].Loss}");
        Assert.True(diffs.Max() > 0, "bf16 gave the fp32 numbers bit for bit: it did not compute in bf16");
        Assert.True(bf16.Steps[^1].Loss < bf16.Steps[0].Loss - 0.5, "bf16 training did not reduce the loss");
        Assert.True(Math.Abs(fp32.Evals[^1].ValLoss - bf16.Evals[^1].ValLoss) <= Bf16Ulp(fp32.Evals[^1].ValLoss));
        Assert.StartsWith("precision: bf16", Assert.Single(bf16.Starts).Precision, StringComparison.Ordinal);
        Assert.Equal("precision: fp32 (as configured)", Assert.Single(fp32.Starts).Precision);   // said at the start of every run
        Assert.DoesNotContain(fp32.Notices, n => n.StartsWith("precision:", StringComparison.Ordinal));   // and only there
    }

    [Fact]
    public void The_fp32_masters_are_checkpointed()
    {
        using var corpus = new TinyCorpus();
        using var data = corpus.Open();
        var config = corpus.Run(pseudoSteps: 2, realSteps: 2) with { Precision = Precision.Bf16 };
        using var trainer = new Trainer(config, data);
        trainer.Run();
        var dir = CheckpointStore.Resolve(config.OutDir);
        var (state, saved) = CheckpointStore.ReadState(dir);
        Assert.Equal(Precision.Bf16, saved.Precision);
        using var model = CheckpointStore.LoadModel(dir, saved, state);
        var masters = trainer.Model.state_dict();
        foreach (var (name, t) in model.state_dict())
        {
            Assert.Equal(masters[name].dtype, t.dtype);
            Assert.True(t.allclose(masters[name], rtol: 0, atol: 0), name);
        }
        Assert.All(model.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
    }

    [Fact]
    public void Resume_in_bf16_reproduces_the_uninterrupted_run()
    {
        using var corpus = new TinyCorpus();
        using var data = corpus.Open();
        var config = corpus.Run(pseudoSteps: 6, realSteps: 6, name: "whole") with
        {
            Model = corpus.Run().Model with { Dropout = 0.1 },
            Precision = Precision.Bf16,
        };
        RunChecks.AssertResumeEqualsUninterrupted(config, data, stopAt: 8);
    }

    [Theory]
    [InlineData("all")]
    [InlineData("group:2:cycle")]
    public void Delinking_preserves_the_bf16_logits_exactly(string plan)
    {
        var config = TinyModels.Config();
        using var model = TinyModels.Build(config, System.Text.Json.JsonSerializer.Deserialize<SharingPlan>($"\"{plan}\""));
        var idx = TinyModels.Tokens(config);
        using var step = new MixedPrecisionStep();
        using var scope = NewDisposeScope();
        var before = step.Forward(model, idx);
        Assert.Equal(ScalarType.Float32, before.dtype);
        Delinker.Delink(model);
        var after = step.Forward(model, idx);                                                 // the compute copy follows the new map
        Assert.Equal(config.NLayer, step.ComputeModel!.Layers.UniqueBlocks.Count);
        Assert.Equal(ScalarType.BFloat16, step.ComputeModel.parameters().First().dtype);
        Assert.True(after.allclose(before, rtol: 0, atol: 0), $"{plan}: bf16 logits changed by delinking");
        // bf16, not fp32: the logits differ from the fp32 master's by bf16 rounding, not more.
        var fp32 = model.call(idx);
        var err = after.sub(fp32).abs().max().item<float>();
        Assert.InRange(err, 1e-6f, 0.1f);
    }

    [Fact]
    public void Moe_trains_in_bf16_close_to_fp32()
    {
        var config = TinyModels.Config() with { Moe = new MoeConfig { NumExperts = 4, NumPrototypes = 2, CapacityFactor = 4.0, MoeEvery = 2 } };
        var idx = TinyModels.Tokens(config, batch: 4, seed: 5);
        var batch = new[] { new MicroBatch(idx, idx.roll(-1, 1)) };
        double[] Losses(ITrainStep step)
        {
            using var model = TinyModels.Build(config, seed: 9);
            model.train();
            using var optimizer = new AdamW(new AdamWOptions());
            using var _ = step;
            var losses = Enumerable.Range(0, 4).Select(_ => step.Step(model, optimizer, batch, 1e-2, 1.0)).ToArray();
            Assert.All(model.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
            Assert.All(losses, r => Assert.True(r.AuxLoss > 0));
            return losses.Select(r => r.Loss).ToArray();
        }
        var fp32 = Losses(new ResidentTrainStep());
        var bf16 = Losses(new MixedPrecisionStep());
        for (int i = 0; i < fp32.Length; i++)
            Assert.True(Math.Abs(fp32[i] - bf16[i]) <= 2 * Bf16Ulp(fp32[i]), $"step {i + 1}: fp32 {fp32[i]} bf16 {bf16[i]}");
    }

    [Fact]
    public void Steps_in_bf16_leak_no_tensors_and_reuse_the_master_gradients()
    {
        var config = TinyModels.Config();
        var idx = TinyModels.Tokens(config);
        var batch = new[] { new MicroBatch(idx, idx.roll(-1, 1)) };
        using var model = TinyModels.Build(config);
        model.train();
        using var optimizer = new AdamW(new AdamWOptions());
        using var step = new MixedPrecisionStep();
        for (int i = 0; i < 3; i++) step.Step(model, optimizer, batch, 1e-3, 1.0);
        using var g0 = model.parameters().First().grad!;
        var ptr = TensorAddress.Of(g0);
        var live = TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 5; i++) step.Step(model, optimizer, batch, 1e-3, 1.0);
        Assert.Equal(live, TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        using var g1 = model.parameters().First().grad!;
        Assert.Equal(ptr, TensorAddress.Of(g1));
    }

    [Fact]
    public void Generation_and_eval_run_on_a_bf16_cast_model()
    {
        var config = TinyModels.Config();
        var idx = TinyModels.Tokens(config);
        using var model = TinyModels.Build(config);
        using var scope = NewDisposeScope();
        var fp32Loss = LanguageModelLoss.CrossEntropy(model.call(idx), idx.roll(-1, 1)).item<float>();
        var greedy32 = GiantSharp.Inference.Sampler.Generate(model, [1, 2, 3], 8, temperature: 0, seed: 1);
        InferencePrecision.Apply(model, PrecisionResolver.Resolve(Precision.Bf16, "cpu", new Bf16Hardware(new HashSet<string> { "avx512_bf16" })));
        Assert.All(model.parameters(), p => Assert.Equal(ScalarType.BFloat16, p.dtype));
        var loss = LanguageModelLoss.CrossEntropy(model.call(idx), idx.roll(-1, 1));
        Assert.Equal(ScalarType.Float32, loss.dtype);
        Assert.InRange(Math.Abs(loss.item<float>() - fp32Loss), 0, Bf16Ulp(fp32Loss));
        var greedy16 = GiantSharp.Inference.Sampler.Generate(model, [1, 2, 3], 8, temperature: 0, seed: 1);
        Assert.Equal(greedy32.Length, greedy16.Length);
        Assert.All(greedy16, t => Assert.InRange(t, 0, config.VocabSize - 1));
    }
}
