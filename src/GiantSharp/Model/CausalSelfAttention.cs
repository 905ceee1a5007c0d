using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace GiantSharp.Model;

/// <summary>
/// Multi-head causal self-attention through libtorch's fused <c>scaled_dot_product_attention</c>,
/// with learned or rotary positions; with <see cref="PrefixLengths"/> set, M6's prefix LM instead (bidirectional over
/// each row's prefix, <see cref="PrefixLmMask"/>). Shapes: x (B, T, C) -> (B, T, C); inside, q/k/v are (B, H, T, C/H).
/// Source: Vaswani et al. 2017; rotary positions from Su et al. 2021 (RoFormer), sec. 3.4.
/// </summary>
public sealed class CausalSelfAttention : Module<Tensor, Tensor>
{
    // TorchSharp names parameters after fields: these names are the state-dict keys (nanoGPT's).
    private readonly Linear c_attn;
    private readonly Linear c_proj;
    private readonly Dropout resid_dropout;
    private readonly ModelConfig _config;

    /// <summary>Builds the projections, initialised N(0, init_std); c_proj scaled by 1/sqrt(2 n_layer) (GPT-2, sec. 2.3).</summary>
    public CausalSelfAttention(ModelConfig config) : base(nameof(CausalSelfAttention))
    {
        _config = config;
        c_attn = Linear(config.DModel, 3L * config.DModel, hasBias: config.Bias);
        c_proj = Linear(config.DModel, config.DModel, hasBias: config.Bias);
        resid_dropout = Dropout(config.Dropout);
        RegisterComponents();
        Init.Linear(c_attn, config.InitStd);
        Init.Linear(c_proj, config.InitStd / Math.Sqrt(2.0 * config.NLayer));
    }

    /// <summary>Each row's prefix length (B of them) for the next calls, or null for causal attention.</summary>
    public int[]? PrefixLengths { get; set; }

    /// <summary>x (B, T, C) -> (B, T, C), each position attending to itself and earlier ones (and to its row's whole prefix).</summary>
    /// <exception cref="ArgumentException"><see cref="PrefixLengths"/> is set for another batch size or a longer sequence.</exception>
    public override Tensor forward(Tensor x)
    {
        long b = x.shape[0], t = x.shape[1], c = x.shape[2];
        int h = _config.NHead, hd = _config.HeadDim;
        var qkv = c_attn.call(x).split(c, dim: 2);                       // 3 x (B, T, C)
        var q = qkv[0].view(b, t, h, hd).transpose(1, 2);                 // (B, H, T, hd)
        var k = qkv[1].view(b, t, h, hd).transpose(1, 2);
        var v = qkv[2].view(b, t, h, hd).transpose(1, 2);
        if (_config.Positional == "rope")
        {
            (q, k) = Rotary.Apply(q, k);
        }
        var p = training ? _config.Dropout : 0.0;
        Tensor y;
        if (PrefixLengths is { } prefix)
        {
            if (prefix.Length != b) throw new ArgumentException($"prefix lengths are set for {prefix.Length} rows, the input has {b}", nameof(x));
            y = functional.scaled_dot_product_attention(q, k, v, PrefixLmMask.Build(prefix, t, x.device), p: p); // (B, H, T, hd)
        }
        else y = functional.scaled_dot_product_attention(q, k, v, p: p, is_casual: true); // (B, H, T, hd)
        y = y.transpose(1, 2).contiguous().view(b, t, c);                 // (B, T, C)
        return resid_dropout.call(c_proj.call(y));
    }
}
