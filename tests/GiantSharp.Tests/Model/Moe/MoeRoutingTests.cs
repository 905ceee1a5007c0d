using GiantSharp.Model;
using GiantSharp.Model.Moe;
using static TorchSharp.torch;

namespace GiantSharp.Tests.Model.Moe;

public class MoeRoutingTests
{
    // (experts, top_k, prototypes, capacity_factor): 0 = no-drop; small factors force drops.
    public static TheoryData<int, int, int, double> Cases => new()
    {
        { 4, 1, 1, 0 }, { 4, 1, 1, 0.5 }, { 4, 1, 1, 1.25 },
        { 4, 2, 1, 0 }, { 4, 2, 1, 0.6 },
        { 8, 1, 2, 0 }, { 8, 1, 2, 0.5 }, { 8, 1, 4, 1.0 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Batched_routing_matches_the_per_token_reference(int experts, int topK, int prototypes, double capacityFactor)
    {
        using var scope = NewDisposeScope();
        var moe = new MoeConfig { NumExperts = experts, TopK = topK, NumPrototypes = prototypes, CapacityFactor = capacityFactor };
        using var layer = MoeTestModels.Layer(moe);
        var x = MoeTestModels.Tokens();
        var y = layer.call(x);
        var reference = NaiveMoe.Forward(layer, x);

        Assert.Equal(x.shape, y.shape);
        var error = (y.reshape(-1, 16).to_type(ScalarType.Float64) - reference.Output).abs().max().item<double>();
        Assert.True(error < 1e-5, $"max |batched - reference| = {error}");
        if (capacityFactor is > 0 and < 1) Assert.True(reference.Dropped > 0, "the case should drop tokens");
        if (capacityFactor == 0) Assert.Equal(0, reference.Dropped);

        var metrics = MoeTestModels.Metrics(layer);
        long assignments = 24L * moe.AssignmentsPerToken;
        Assert.Equal((double)reference.Dropped / assignments, metrics["moe/dropped_fraction"], 12);
        for (int e = 0; e < experts; e++)
            Assert.Equal((double)reference.Load[e] / assignments, metrics[$"moe/expert_load/{e}"], 12);
    }

    [Fact]
    public void Capacity_is_ceil_of_factor_times_even_share()
    {
        Assert.Equal(640, MoeFeedForward.Capacity(new MoeConfig { NumExperts = 8, CapacityFactor = 1.25 }, 4096));
        Assert.Equal(4, MoeFeedForward.Capacity(new MoeConfig { NumExperts = 3, CapacityFactor = 1.0 }, 10));        // ceil(3.33)
        Assert.Equal(7, MoeFeedForward.Capacity(new MoeConfig { NumExperts = 3, TopK = 2, CapacityFactor = 1.0 }, 10)); // ceil(6.67)
        Assert.Equal(3, MoeFeedForward.Capacity(new MoeConfig { NumExperts = 8, NumPrototypes = 2, CapacityFactor = 1.0 }, 10)); // ceil(10 / 4)
        Assert.Equal(1, MoeFeedForward.Capacity(new MoeConfig { NumExperts = 64, CapacityFactor = 0.01 }, 10));
        Assert.Equal(0, MoeFeedForward.Capacity(new MoeConfig { CapacityFactor = 0 }, 10));                          // no-drop
    }

    [Fact]
    public void Tokens_beyond_capacity_are_dropped_in_token_order_and_output_zero()
    {
        using var scope = NewDisposeScope();
        // 10 identical tokens all choose the same expert; capacity ceil(1.0 * 10 / 4) = 3.
        using var layer = MoeTestModels.Layer(new MoeConfig { NumExperts = 4, CapacityFactor = 1.0 });
        var x = randn(1, 1, 16).expand(1, 10, 16).contiguous();
        var y = layer.call(x)[0];                                                          // (10, C)
        var rowNorms = y.abs().sum(-1);
        for (int t = 0; t < 3; t++) Assert.True(rowNorms[t].item<float>() > 0, $"token {t} should be served");
        for (int t = 3; t < 10; t++) Assert.Equal(0f, rowNorms[t].item<float>());
        Assert.Equal(0.7, MoeTestModels.Metrics(layer)["moe/dropped_fraction"], 12);
    }

    [Fact]
    public void No_drop_mode_serves_every_token_even_when_all_choose_one_expert()
    {
        using var scope = NewDisposeScope();
        using var layer = MoeTestModels.Layer(new MoeConfig { NumExperts = 4, CapacityFactor = 0 });
        var x = randn(1, 1, 16).expand(1, 10, 16).contiguous();
        var y = layer.call(x)[0];
        Assert.True(y.sub(y[0]).abs().max().item<float>() == 0, "identical tokens get identical outputs");
        Assert.True(y[0].abs().sum().item<float>() > 0);
        var metrics = MoeTestModels.Metrics(layer);
        Assert.Equal(0.0, metrics["moe/dropped_fraction"]);
        Assert.Equal(1.0, Enumerable.Range(0, 4).Max(e => metrics[$"moe/expert_load/{e}"]));
    }

    [Fact]
    public void Top2_serves_all_first_choices_before_second_choices()
    {
        using var scope = NewDisposeScope();
        // Router = identity on C = 2: token X = (1, 0) prefers expert 0, Y = (0, 1) expert 1; each also goes to
        // the other (top-2 of 2). Tokens X, Y, Y; capacity ceil(0.5 * 3 * 2 / 2) = 2.
        // First choices: e0 <- X, e1 <- Y, Y (full). Second: X -> e1 dropped, Y1 -> e0 kept, Y2 -> e0 full, dropped.
        // (Token-major order would have served X twice and Y1 twice, and dropped Y2 entirely.)
        using var layer = MoeTestModels.Layer(new MoeConfig { NumExperts = 2, TopK = 2, CapacityFactor = 0.5 }, dModel: 2);
        using (no_grad()) layer.Router.weight!.copy_(eye(2));
        var x = tensor(new float[] { 1, 0, 0, 1, 0, 1 }).view(1, 3, 2);
        var y = layer.call(x)[0];
        var reference = NaiveMoe.Forward(layer, x);
        Assert.Equal(2, reference.Dropped);
        Assert.True((y.to_type(ScalarType.Float64) - reference.Output).abs().max().item<double>() < 1e-6);
        Assert.True(y[2].abs().sum().item<float>() > 0, "the second Y keeps its first choice");
        Assert.Equal(2.0 / 6, MoeTestModels.Metrics(layer)["moe/dropped_fraction"], 12);
    }

    [Fact]
    public void Router_jitter_acts_only_in_training()
    {
        using var scope = NewDisposeScope();
        using var plain = MoeTestModels.Layer(new MoeConfig { NumExperts = 4, CapacityFactor = 0 });
        using var jittered = MoeTestModels.Layer(new MoeConfig { NumExperts = 4, CapacityFactor = 0, RouterJitter = 0.5 });
        var x = MoeTestModels.Tokens();
        Assert.Equal(0f, jittered.call(x).sub(plain.call(x)).abs().max().item<float>());          // eval: no jitter
        jittered.train();
        plain.train();
        manual_seed(3);
        Assert.False(jittered.call(x).allclose(plain.call(x)), "train: router inputs jittered");
    }
}
