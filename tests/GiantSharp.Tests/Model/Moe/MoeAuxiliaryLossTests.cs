using GiantSharp.Model;
using GiantSharp.Model.Moe;
using TorchSharp;
using static TorchSharp.torch;

namespace GiantSharp.Tests.Model.Moe;

public class MoeAuxiliaryLossTests
{
    // Router weight rows set so that logits = (x0, x1) for expert 0, 1 of each prototype of 2 experts.
    // Tokens: three (ln 3, 0) and one (0, ln 3): probs (3/4, 1/4) three times and (1/4, 3/4) once.
    // f = (3/4, 1/4), P = (5/8, 3/8): balance = 2 * (3/4 * 5/8 + 1/4 * 3/8) = 9/8; logsumexp = ln 4 for every token.
    private static Tensor HandTokens()
    {
        var l3 = (float)Math.Log(3);
        return tensor(new[] { l3, 0, l3, 0, l3, 0, 0, l3 }).view(1, 4, 2);
    }

    private static MoeFeedForward HandLayer(int prototypes)
    {
        var layer = MoeTestModels.Layer(new MoeConfig
        {
            NumExperts = 2 * prototypes, NumPrototypes = prototypes, AuxLossCoef = 0.01, RouterZLossCoef = 0.001, CapacityFactor = 0,
        }, dModel: 2);
        using (no_grad())
        {
            layer.Router.weight!.zero_();
            layer.Router.weight![0].copy_(tensor(new float[] { 1, 0 }));
            layer.Router.weight![1].copy_(tensor(new float[] { 0, 1 }));                    // prototype 1 (if any): all-zero logits
        }
        layer.train();
        return layer;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Switch_balance_and_z_loss_match_hand_computed_values(int prototypes)
    {
        // One prototype: balance 9/8, z (ln 4)^2 (see HandTokens). Two: prototype 1 has zero logits, so uniform
        // probs, balance 2 * (1/2) = 1 whatever the tie-break, logsumexp ln 2; the means over prototypes are
        // 17/16 and ((ln 4)^2 + (ln 2)^2) / 2 = 2.5 (ln 2)^2.
        double ln2 = Math.Log(2);
        var (balance, z) = prototypes == 1 ? (9.0 / 8, 4 * ln2 * ln2) : (17.0 / 16, 2.5 * ln2 * ln2);
        using var scope = NewDisposeScope();
        using var layer = HandLayer(prototypes);
        layer.call(HandTokens());
        Assert.Equal(0.01 * balance + 0.001 * z, layer.TakeAuxiliaryLoss()!.item<float>(), 6);
        var metrics = MoeTestModels.Metrics(layer);
        Assert.Equal(balance, metrics["moe/aux_loss"], 6);
        Assert.Equal(z, metrics["moe/z_loss"], 5);
        Assert.Equal(0.75 / prototypes, metrics["moe/expert_load/0"], 12);            // 3 of the 4 (or 8) assignments
        Assert.Equal(0.25 / prototypes, metrics["moe/expert_load/1"], 12);
    }

    [Fact]
    public void Losses_accumulate_over_calls_until_taken_and_only_in_training()
    {
        using var scope = NewDisposeScope();
        using var layer = HandLayer(prototypes: 1);
        var x = HandTokens();
        layer.call(x);
        var once = layer.TakeAuxiliaryLoss()!.item<float>();
        layer.call(x);
        layer.call(x);
        layer.call(x);
        Assert.Equal(3 * once, layer.TakeAuxiliaryLoss()!.item<float>(), 5);              // a block shared by 3 layers
        Assert.Null(layer.TakeAuxiliaryLoss());
        var metrics = MoeTestModels.Metrics(layer);
        Assert.Equal(9.0 / 8, metrics["moe/aux_loss"], 6);                                // mean per call
        Assert.Empty(MoeTestModels.Metrics(layer));                                       // taken

        layer.eval();
        layer.call(x);
        Assert.Null(layer.TakeAuxiliaryLoss());
        Assert.Equal(9.0 / 8, MoeTestModels.Metrics(layer)["moe/aux_loss"], 6);           // metrics in eval too
    }

    [Fact]
    public void A_pending_loss_whose_scope_ended_is_discarded()
    {
        using var layer = HandLayer(prototypes: 1);
        using (NewDisposeScope()) layer.call(HandTokens());                               // never taken: disposed with the scope
        using var scope = NewDisposeScope();
        layer.call(HandTokens());
        var aux = layer.TakeAuxiliaryLoss()!.item<float>();
        double ln4 = Math.Log(4);
        Assert.Equal(0.01 * 9.0 / 8 + 0.001 * ln4 * ln4, aux, 6);
    }

    [Fact]
    public void Gradients_reach_the_router_and_match_finite_differences()
    {
        using var scope = NewDisposeScope();
        using var layer = MoeTestModels.Layer(new MoeConfig { NumExperts = 4, TopK = 2, CapacityFactor = 1.0, AuxLossCoef = 0.1, RouterZLossCoef = 0.01 });
        layer.to(ScalarType.Float64);
        layer.train();
        var x = MoeTestModels.Tokens().to_type(ScalarType.Float64);
        var upstream = randn([2, 12, 16], dtype: ScalarType.Float64, generator: new Generator().manual_seed(9));
        double Loss()
        {
            using var inner = NewDisposeScope();
            var loss = (layer.call(x) * upstream).sum() + layer.TakeAuxiliaryLoss()!;
            return loss.item<double>();
        }

        layer.zero_grad();
        ((layer.call(x) * upstream).sum() + layer.TakeAuxiliaryLoss()!).backward();
        var grad = layer.Router.weight!.grad!.clone();
        Assert.True(grad.abs().max().item<double>() > 1e-3, "router gets a gradient");
        Assert.True(layer.Experts.WFc.grad!.abs().max().item<double>() > 0);

        const double h = 1e-6;
        foreach (var (i, j) in new[] { (0, 0), (1, 5), (2, 9), (3, 15) })
        {
            var w = layer.Router.weight!;
            double plus, minus;
            using (no_grad()) w[i, j].add_(h);
            plus = Loss();
            using (no_grad()) w[i, j].sub_(2 * h);
            minus = Loss();
            using (no_grad()) w[i, j].add_(h);
            double numeric = (plus - minus) / (2 * h), analytic = grad[i, j].item<double>();
            Assert.True(Math.Abs(numeric - analytic) < 1e-6 * Math.Max(1, Math.Abs(analytic)), $"d/dW[{i},{j}]: numeric {numeric}, analytic {analytic}");
        }
    }

    [Fact]
    public void Without_auxiliary_losses_the_router_learns_through_the_gates()
    {
        using var scope = NewDisposeScope();
        using var layer = MoeTestModels.Layer(new MoeConfig { NumExperts = 4, AuxLossCoef = 0 });
        layer.train();
        layer.call(MoeTestModels.Tokens()).square().sum().backward();
        Assert.Null(layer.TakeAuxiliaryLoss());
        Assert.True(layer.Router.weight!.grad!.abs().max().item<float>() > 1e-3);
    }
}
