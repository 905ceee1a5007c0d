namespace GiantSharp.Bench;

/// <summary>The number format a training benchmark computes in.</summary>
public enum BenchPrecision
{
    /// <summary>Everything in float32: parameters, activations, gradients, AdamW state.</summary>
    Fp32,

    /// <summary>
    /// Forward and backward in bfloat16 on a bf16 copy of the model; gradients cast to float32 onto an
    /// fp32 master copy that is clipped and stepped by AdamW in float32 (see <see cref="MixedPrecision.MixedPrecisionStep"/>, the path `precision: bf16` trains with).
    /// </summary>
    Bf16,
}
