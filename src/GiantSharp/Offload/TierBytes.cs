namespace GiantSharp.Offload;

/// <summary>Bytes one tier holds, by kind (fp32 throughout: parameters and gradients 4 B, AdamW moments 8 B per parameter).</summary>
/// <param name="Params">Parameters, in bytes.</param>
/// <param name="Grads">Gradients, in bytes.</param>
/// <param name="Moments">AdamW first and second moments, in bytes.</param>
/// <param name="Staging">Device buffers streamed layers are fetched into (prefetch depth + 1 layers), in bytes.</param>
public sealed record TierBytes(long Params, long Grads, long Moments, long Staging)
{
    /// <summary>Nothing.</summary>
    public static TierBytes Zero { get; } = new(0, 0, 0, 0);

    /// <summary>All bytes on the tier.</summary>
    public long Total => Params + Grads + Moments + Staging;

    /// <summary>Adds <paramref name="numel"/> parameters' worth of the kinds whose flags are set.</summary>
    internal TierBytes Add(long numel, bool param, bool grad, bool moments, long staging = 0) => new(
        Params + (param ? 4 * numel : 0), Grads + (grad ? 4 * numel : 0), Moments + (moments ? 8 * numel : 0), Staging + staging);

    /// <inheritdoc />
    public override string ToString() =>
        $"{Units.Bytes(Total)} (params {Units.Bytes(Params)}, grads {Units.Bytes(Grads)}, moments {Units.Bytes(Moments)}, staging {Units.Bytes(Staging)})";
}
