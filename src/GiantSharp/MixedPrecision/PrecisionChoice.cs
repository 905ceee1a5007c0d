using static TorchSharp.torch;

namespace GiantSharp.MixedPrecision;

/// <summary>What a run computes in, and why (from <see cref="PrecisionResolver"/>).</summary>
/// <param name="Compute">The element type of forward and backward: Float32 or BFloat16.</param>
/// <param name="Reason">Why, in words, e.g. "auto: this CPU has avx512_bf16".</param>
/// <param name="Warning">A warning for the run's first lines (bf16 asked for on hardware without bf16 kernels), or null.</param>
public sealed record PrecisionChoice(ScalarType Compute, string Reason, string? Warning)
{
    /// <summary>Whether forward and backward run in bfloat16.</summary>
    public bool IsBf16 => Compute == ScalarType.BFloat16;

    /// <summary>The run's first line about precision, e.g. "precision: bf16 (auto: this CPU has avx512_bf16)".</summary>
    public string Describe() => $"precision: {(IsBf16 ? "bf16 compute, fp32 master weights and AdamW moments" : "fp32")} ({Reason})";
}
