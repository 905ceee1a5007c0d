namespace GiantSharp.Offload.Storage;

/// <summary>One tensor inside a flat fp32 group of a <see cref="TensorStore"/>.</summary>
/// <param name="Name">Name within the group, e.g. <c>attn.c_attn.weight</c>.</param>
/// <param name="Shape">Shape of the tensor.</param>
/// <param name="Offset">Offset in the flat buffer, in elements.</param>
public sealed record TensorEntry(string Name, long[] Shape, long Offset)
{
    /// <summary>Elements in the tensor.</summary>
    public long Numel => Shape.Aggregate(1L, (a, d) => a * d);
}
