using GiantSharp.Model;
using GiantSharp.Model.Moe;
using static TorchSharp.torch;

namespace GiantSharp.Tests.Model.Moe;

/// <summary>Small MoE layers and inputs for tests; fixed seeds.</summary>
internal static class MoeTestModels
{
    /// <summary>
    /// A layer of width C = 16, d_ff 32, weights N(0, 0.3) (so routing is decisive) and biases N(0, 0.1), drawn
    /// from a generator of its own: xunit runs test classes in parallel, so torch's global generator is not ours.
    /// </summary>
    public static MoeFeedForward Layer(MoeConfig moe, long seed = 11, int dModel = 16)
    {
        var config = new ModelConfig { NLayer = 2, NHead = 1, DModel = dModel, DFf = 2 * dModel, Moe = moe };
        var layer = new MoeFeedForward(config);
        var g = new Generator().manual_seed(seed);
        using (no_grad())
        {
            layer.Router.weight!.normal_(0, 0.3, g);
            layer.Experts.WFc.normal_(0, 0.3, g);
            layer.Experts.WProj.normal_(0, 0.3, g);
            layer.Experts.BFc!.normal_(0, 0.1, g);
            layer.Experts.BProj!.normal_(0, 0.1, g);
        }
        layer.eval();
        return layer;
    }

    /// <summary>Random tokens (2, 12, C), N(0, 1).</summary>
    public static Tensor Tokens(int dModel = 16, long seed = 5) =>
        randn([2, 12, dModel], generator: new Generator().manual_seed(seed));

    /// <summary>The layer's metrics since the last take.</summary>
    public static Dictionary<string, double> Metrics(IAuxiliaryLossSource layer)
    {
        var metrics = new Dictionary<string, double>();
        layer.TakeMetrics(metrics);
        return metrics;
    }

    /// <summary>An MoE config on the tiny decoder of <see cref="TinyModels"/>.</summary>
    public static ModelConfig Decoder(MoeConfig moe, int nLayer = 4) => TinyModels.Config(nLayer) with { Moe = moe };
}
