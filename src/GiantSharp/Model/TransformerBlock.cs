using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace GiantSharp.Model;

/// <summary>
/// Pre-LayerNorm decoder block: x + attn(ln_1(x)), then + ffn(ln_2(x)). The FFN is dense or, in MoE
/// layers, a mixture of experts. Shapes: (B, T, C) -> (B, T, C).
/// A block knows nothing of sharing: a <see cref="LayerStack"/> may apply one block at many depths.
/// Source: GPT-2 (Radford et al. 2019, sec. 2.3); M6-10T (Lin et al. 2021) uses the same block.
/// </summary>
public sealed class TransformerBlock : Module<Tensor, Tensor>
{
    private readonly LayerNorm ln_1;
    private readonly CausalSelfAttention attn;
    private readonly LayerNorm ln_2;
    private readonly Module<Tensor, Tensor> mlp;

    /// <summary>Builds a freshly initialised block.</summary>
    /// <param name="config">The model shape.</param>
    /// <param name="isMoe">Whether its FFN is a mixture of experts (needs <see cref="ModelConfig.Moe"/>).</param>
    public TransformerBlock(ModelConfig config, bool isMoe = false) : base(nameof(TransformerBlock))
    {
        Config = config;
        IsMoe = isMoe;
        ln_1 = LayerNorm(config.DModel, eps: config.LayerNormEps, bias: config.Bias);
        attn = new CausalSelfAttention(config);
        ln_2 = LayerNorm(config.DModel, eps: config.LayerNormEps, bias: config.Bias);
        mlp = isMoe ? FeedForwardFactory.CreateMoe(config) : new FeedForward(config);
        RegisterComponents();
    }

    /// <summary>The model shape this block was built for.</summary>
    public ModelConfig Config { get; }

    /// <summary>Whether the FFN is a mixture of experts.</summary>
    public bool IsMoe { get; }

    /// <summary>
    /// Each row's conditioning prefix length for the forward passes that follow (attention bidirectional over it, causal
    /// after it; <see cref="PrefixLmMask"/>), or null for causal attention. <see cref="GptModel.Embed"/> sets it for its input.
    /// </summary>
    public int[]? PrefixLengths { get => attn.PrefixLengths; set => attn.PrefixLengths = value; }

    /// <summary>The feed-forward sub-module (dense or MoE), for inspection and offload plans.</summary>
    public Module<Tensor, Tensor> Ffn => mlp;

    /// <summary>x (B, T, C) -> (B, T, C).</summary>
    public override Tensor forward(Tensor x)
    {
        x = x + attn.call(ln_1.call(x));
        return x + mlp.call(ln_2.call(x));
    }

    /// <summary>
    /// A new block with the same shape and a copy of every parameter and buffer (new storage, same
    /// values, same device and dtype). Used by delinking (M6-10T, sec. 3.1). It leaves the global generator as it
    /// found it: the new block's initial values are overwritten, so drawing them must not move later dropout masks.
    /// </summary>
    public TransformerBlock Clone()
    {
        TransformerBlock copy;
        using (var rng = random.get_rng_state())
        {
            copy = new TransformerBlock(Config, IsMoe);
            random.set_rng_state(rng);
        }
        var first = parameters().FirstOrDefault();
        if (first is not null) copy.to(first.device, first.dtype);
        using var _ = no_grad();
        var source = state_dict();
        foreach (var (name, tensor) in copy.state_dict())
            tensor.copy_(source[name]);
        copy.train(training);
        return copy;
    }
}
