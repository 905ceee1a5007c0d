using static TorchSharp.torch;

namespace GiantSharp.Model;

/// <summary>
/// Rotary position embedding (RoPE), computed on the fly for the sequence length at hand.
/// Source: Su et al. 2021, "RoFormer", sec. 3.4.2 (the rotate-half formulation used by GPT-NeoX/LLaMA).
/// </summary>
public static class Rotary
{
    /// <summary>Frequency base theta.</summary>
    public const double Base = 10000.0;

    /// <summary>Rotates q and k, both (B, H, T, D) with D even, by their positions <paramref name="start"/> .. start+T-1.</summary>
    public static (Tensor Q, Tensor K) Apply(Tensor q, Tensor k, long start = 0)
    {
        long t = q.shape[2], d = q.shape[3];
        var invFreq = pow(Base, arange(0, d, 2, dtype: ScalarType.Float32, device: q.device) / -(double)d); // (D/2)
        var angles = outer(arange(start, start + t, dtype: ScalarType.Float32, device: q.device), invFreq); // (T, D/2)
        var emb = cat([angles, angles], dim: -1);                                                          // (T, D)
        var cos = emb.cos().to(q.dtype);
        var sin = emb.sin().to(q.dtype);
        return (q * cos + RotateHalf(q) * sin, k * cos + RotateHalf(k) * sin);
    }

    private static Tensor RotateHalf(Tensor x)
    {
        var halves = x.chunk(2, dim: -1);
        return cat([-halves[1], halves[0]], dim: -1);
    }
}
