using GiantSharp.Config;
using GiantSharp.Model;
using GiantSharp.Sharing;
using GiantSharp.Tests.Training;
using GiantSharp.Training;
using GiantSharp.Training.Optim;
using TorchSharp;
using static TorchSharp.torch;

namespace GiantSharp.Tests.Sharing;

/// <summary>
/// <c>delink.when: auto</c>: the gradient agreement of the layers sharing a block, checked against the per-layer
/// gradients of a delinked copy; the trainer ends the sharing stage after the configured run of disagreeing checks
/// (and not otherwise), keeps the run's total steps, logs the measures, and resumes across the switch exactly.
/// </summary>
[Collection(Offload.OffloadCollection.Name)]
public class AutoDelinkTests
{
    [Fact]
    public void Agreement_equals_the_cosines_of_a_delinked_copys_per_layer_gradients()
    {
        using var scope = NewDisposeScope();
        var config = TinyModels.Config();
        using var shared = TinyModels.Build(config, SharingPlan.All);
        shared.train();
        var tokens = TinyModels.Tokens(config, batch: 4);
        var (x, y) = (tokens[.., ..^1].contiguous(), tokens[.., 1..].contiguous());
        var measured = GradientAgreement.Measure(shared, x, y);
        Assert.All(shared.parameters(), p => Assert.Null(p.grad));            // the measure leaves no gradients behind

        // Reference: delinked, each layer's own block gets exactly that layer's gradient.
        using var copy = TinyModels.Build(config, SharingPlan.All);
        copy.train();
        using var opt = new AdamW(new AdamWOptions());
        Delinker.Delink(copy, opt, OptimizerStateDelink.Copy);
        LanguageModelLoss.CrossEntropy(copy.call(x), y).backward();
        var g = copy.Layers.UniqueBlocks.Select(b => cat(b.parameters().Select(p => p.grad!.reshape(-1)).ToArray()).to(ScalarType.Float64)).ToArray();
        var total = g.Aggregate((a, b) => a + b);
        for (int i = 0; i < g.Length; i++)
        {
            var rest = total - g[i];
            var cos = (g[i] * rest).sum().item<double>() / (g[i].norm().item<double>() * rest.norm().item<double>());
            Assert.Equal(cos, measured[i], 4);
        }
        Assert.Contains(measured, v => v < 0.99);                              // a real model's layers do not agree perfectly
    }

    [Fact]
    public void Layers_that_see_the_same_input_and_gradient_agree_perfectly()
    {
        using var scope = NewDisposeScope();
        var config = TinyModels.Config();
        using var model = TinyModels.Build(config, SharingPlan.All);
        model.train();
        using (no_grad())
            foreach (var (name, p) in model.named_parameters().Where(p => p.name.EndsWith("c_proj.weight") || p.name.EndsWith("c_proj.bias")))
                p.zero_();                                                        // every block is the identity: same input, same gradient at every depth
        var tokens = TinyModels.Tokens(config, batch: 4);
        var measured = GradientAgreement.Measure(model, tokens[.., ..^1].contiguous(), tokens[.., 1..].contiguous());
        Assert.All(measured, v => Assert.Equal(1.0, v, 6));
    }

    [Fact]
    public void Unshared_layers_have_no_agreement_to_measure()
    {
        using var scope = NewDisposeScope();
        using var model = TinyModels.Build(TinyModels.Config());
        var tokens = TinyModels.Tokens(model.Config);
        Assert.All(GradientAgreement.Measure(model, tokens[.., ..^1].contiguous(), tokens[.., 1..].contiguous()), v => Assert.True(double.IsNaN(v)));
    }

    private static RunConfig Auto(TinyCorpus corpus, string name, double threshold = 0.5, int checkEvery = 2, int patience = 3) =>
        corpus.Run(10, 5, name) with { Delink = new DelinkConfig { When = DelinkTiming.Auto, CheckEvery = checkEvery, Threshold = threshold, Patience = patience } };

    [Theory]
    [InlineData(0.3, 6)]      // disagreeing from the first check: patience 3 at every 2 steps ends the stage at step 6
    [InlineData(0.9, 10)]     // agreeing: the stage runs its configured 10 steps
    public void The_sharing_stage_ends_after_patience_disagreeing_checks_and_the_next_stage_takes_the_rest(double agreement, int switchStep)
    {
        using var corpus = new TinyCorpus();
        using var data = corpus.Open();
        var seen = new RecordingObserver();
        using var trainer = new Trainer(Auto(corpus, "inj"), data, [seen]) { MeasureAgreement = (m, _, _) => Enumerable.Repeat(agreement, m.Layers.NumLayers).ToArray() };
        trainer.Run();
        Assert.Equal(15, seen.Steps.Count);                                     // the run's total steps are kept
        Assert.Equal(switchStep, seen.Steps.Count(s => s.StageIndex == 0));
        Assert.Equal([(0, false), (1, true)], seen.StageStarts);
        var checks = seen.Steps.Where(s => s.Metrics.ContainsKey("delink/agreement")).Select(s => s.Step).ToArray();
        Assert.Equal(Enumerable.Range(1, switchStep / 2).Select(k => 2 * k), checks);
        Assert.Equal(agreement, seen.Steps[1].Metrics["delink/agreement/layer3"]);
        Assert.Equal(4, trainer.Model.Layers.UniqueBlocks.Count);
    }

    [Fact]
    public void A_run_resumed_between_checks_and_across_an_auto_delink_equals_the_uninterrupted_run()
    {
        using var corpus = new TinyCorpus();
        using var data = corpus.Open();
        // Threshold 1: a real measure is always below it, so the stage ends at the third check (step 6); the run is
        // stopped at step 4, between the second check and the third, so the count of disagreeing checks must survive.
        RunChecks.AssertResumeEqualsUninterrupted(Auto(corpus, "resume", threshold: 1.0), data, stopAt: 4);
        var seen = new RecordingObserver();
        using (var t = new Trainer(Auto(corpus, "count", threshold: 1.0), data, [seen])) t.Run();
        Assert.Equal(6, seen.Steps.Count(s => s.StageIndex == 0));
        Assert.All(seen.Steps.Where(s => s.Metrics.ContainsKey("delink/agreement")), s => Assert.InRange(s.Metrics["delink/agreement"], -1.0, 1.0));
    }

    [Fact]
    public void Bad_delink_settings_are_refused_by_key()
    {
        foreach (var (bad, key) in new (DelinkConfig, string)[]
        {
            (new() { CheckEvery = 0 }, "delink.check_every"),
            (new() { Threshold = 1.5 }, "delink.threshold"),
            (new() { Threshold = double.NaN }, "delink.threshold"),
            (new() { Patience = 0 }, "delink.patience"),
        })
            Assert.Equal(key, Assert.Throws<GiantSharp.Errors.ConfigException>(() => bad.Validate()).Key);
    }
}
