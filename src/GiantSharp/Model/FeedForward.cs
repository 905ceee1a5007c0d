using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace GiantSharp.Model;

/// <summary>
/// Dense position-wise feed-forward network: Linear(C, d_ff), GELU (exact or tanh, <see cref="ModelConfig.Activation"/>), Linear(d_ff, C), dropout.
/// Shapes: (B, T, C) -> (B, T, C), or any (*, C). Source: Vaswani et al. 2017, sec. 3.3; GELU per GPT-2.
/// </summary>
public sealed class FeedForward : Module<Tensor, Tensor>
{
    private readonly Linear c_fc;
    private readonly GELU gelu;
    private readonly Linear c_proj;
    private readonly Dropout dropout;

    /// <summary>Builds the two projections, initialised as in GPT-2 (c_proj scaled by 1/sqrt(2 n_layer)).</summary>
    public FeedForward(ModelConfig config) : base(nameof(FeedForward))
    {
        c_fc = Linear(config.DModel, config.DFf, hasBias: config.Bias);
        gelu = GELU(config.Activation == Activation.GeluTanh ? TorchSharp.Modules.GELU.Approximate.tanh : TorchSharp.Modules.GELU.Approximate.none);
        c_proj = Linear(config.DFf, config.DModel, hasBias: config.Bias);
        dropout = Dropout(config.Dropout);
        RegisterComponents();
        Init.Linear(c_fc, config.InitStd);
        Init.Linear(c_proj, config.InitStd / Math.Sqrt(2.0 * config.NLayer));
    }

    /// <summary>x (*, C) -> (*, C).</summary>
    public override Tensor forward(Tensor x) => dropout.call(c_proj.call(gelu.call(c_fc.call(x))));
}
