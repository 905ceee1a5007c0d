using GiantSharp.Model;
using GiantSharp.Model.Moe;
using GiantSharp.Sharing;
using GiantSharp.Tests.Model.Moe;
using GiantSharp.Training.Optim;
using GiantSharp.Training.Steps;
using static TorchSharp.torch;

namespace GiantSharp.Tests.Sharing;

public class MoeDelinkerTests
{
    // (plan, moe_every, experts, top_k, prototypes)
    public static TheoryData<string, int, int, int, int> Cases => new()
    {
        { "all", 1, 4, 1, 1 },
        { "all", 1, 4, 2, 1 },
        { "group:2:cycle", 2, 4, 1, 2 },
        { "group:2:sequence", 1, 4, 1, 1 },
        { "none", 2, 4, 2, 1 },
    };

    private static SharingPlan Parse(string s) => System.Text.Json.JsonSerializer.Deserialize<SharingPlan>($"\"{s}\"")!;

    [Theory]
    [MemberData(nameof(Cases))]
    public void Delinking_an_moe_model_preserves_logits_and_auxiliary_loss(string plan, int moeEvery, int experts, int topK, int prototypes)
    {
        using var scope = NewDisposeScope();
        var config = MoeTestModels.Decoder(new MoeConfig
        {
            NumExperts = experts, TopK = topK, NumPrototypes = prototypes, MoeEvery = moeEvery, CapacityFactor = 1.0, RouterZLossCoef = 1e-3,
        });
        using var model = TinyModels.Build(config, Parse(plan));
        var idx = TinyModels.Tokens(config);
        var (logits, aux) = Run(model, idx);
        Delinker.Delink(model);
        var (logitsAfter, auxAfter) = Run(model, idx);

        Assert.Equal(config.NLayer, model.Layers.UniqueBlocks.Count);
        Assert.True(logitsAfter.sub(logits).abs().max().item<float>() <= 1e-6f, $"{plan}: logits changed");
        Assert.Equal(aux, auxAfter, 6);
        Assert.True(aux > 0);
    }

    // Eval-mode logits, and the training-mode auxiliary loss summed over every MoE layer application.
    private static (Tensor Logits, double Aux) Run(GptModel model, Tensor idx)
    {
        model.eval();
        var logits = model.call(idx);
        model.train();
        model.call(idx);
        var aux = AuxiliaryLosses.Take(model)!.item<float>();
        AuxiliaryLosses.TakeMetrics(model);
        return (logits, aux);
    }

    [Fact]
    public void Pseudo_giant_shares_router_and_experts_and_delinking_copies_them_with_optimizer_state()
    {
        using var scope = NewDisposeScope();
        var config = MoeTestModels.Decoder(new MoeConfig { NumExperts = 4, CapacityFactor = 1.0 });
        using var model = TinyModels.Build(config, SharingPlan.All);
        var shared = (MoeFeedForward)model.Layers.LayerBlock(0).Ffn;
        Assert.Same(shared, model.Layers.LayerBlock(3).Ffn);
        Assert.Contains("h.0.mlp.experts.w_fc", model.named_parameters().Select(p => p.name));
        Assert.Contains("h.0.mlp.router.weight", model.named_parameters().Select(p => p.name));

        // Train the Pseudo Giant through the resident step: the aux loss enters the objective, metrics come out.
        model.train();
        using var opt = new AdamW(new AdamWOptions());
        using var step = new ResidentTrainStep();
        StepResult? result = null;
        for (int s = 0; s < 2; s++)
        {
            var x = TinyModels.Tokens(config, seed: s);
            result = step.Step(model, opt, [new MicroBatch(x, x.roll(-1, 1))], 1e-3, 1.0);
        }
        Assert.True(result!.AuxLoss > 0);
        Assert.Equal(1.0, Enumerable.Range(0, 4).Sum(e => result.Metrics[$"moe/expert_load/{e}"]), 9);
        Assert.InRange(result.Metrics["moe/dropped_fraction"], 0, 1);

        var before = opt.State["h.0.mlp.experts.w_fc"].ExpAvg.clone();
        Delinker.Delink(model, opt, OptimizerStateDelink.Scale);
        Assert.Equal(model.named_parameters().Select(p => p.name).ToHashSet(), opt.State.Keys.ToHashSet());
        for (int layer = 0; layer < 4; layer++)
            Assert.True(opt.State[$"h.{layer}.mlp.experts.w_fc"].ExpAvg.allclose(before / 4, rtol: 1e-6, atol: 1e-12));
        var w0 = ((MoeFeedForward)model.Layers.LayerBlock(0).Ffn).Experts.WFc;
        var w1 = ((MoeFeedForward)model.Layers.LayerBlock(1).Ffn).Experts.WFc;
        Assert.NotSame(w0, w1);
        Assert.NotEqual(TensorAddress.Of(w0), TensorAddress.Of(w1));
        Assert.Equal(0f, w0.sub(w1).abs().max().item<float>());                             // same values, own storage
    }
}
