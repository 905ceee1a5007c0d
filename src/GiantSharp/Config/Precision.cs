namespace GiantSharp.Config;

/// <summary>
/// The number format training computes in (config key <c>precision</c>, option <c>--precision</c>).
/// Whatever the choice, master weights and AdamW moments stay float32 (mixed precision, Micikevicius et al. 2018).
/// </summary>
public enum Precision
{
    /// <summary>Everything in float32.</summary>
    Fp32,

    /// <summary>Forward and backward in bfloat16 on a compute copy of the fp32 masters (see <see cref="MixedPrecision.MixedPrecisionStep"/>).</summary>
    Bf16,

    /// <summary>bf16 where the hardware has bf16 matrix kernels (CPU avx512_bf16 / amx_bf16, CUDA capability >= 8.0), else fp32.</summary>
    Auto,
}
