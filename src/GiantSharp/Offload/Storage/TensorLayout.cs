using static TorchSharp.torch;

namespace GiantSharp.Offload.Storage;

/// <summary>
/// How named tensors are packed, one after another, into one flat fp32 buffer (a store group): a layer's
/// parameters, its gradients, or its AdamW moments. Shapes: the flat buffer is (N,), N = <see cref="Numel"/>.
/// </summary>
public sealed class TensorLayout
{
    /// <summary>Packs tensors of the given names and shapes in the given order, one after another.</summary>
    /// <exception cref="ArgumentException">A name appears twice.</exception>
    public TensorLayout(IEnumerable<(string Name, long[] Shape)> tensors) : this(tensors.Select(t => (t.Name, t.Shape, (long?)null))) { }

    /// <summary>
    /// Packs tensors at the given offsets (in elements; null: right after the previous tensor). Offsets must not go
    /// back: a gap is padding.
    /// </summary>
    /// <exception cref="ArgumentException">A name appears twice, or an offset overlaps the tensor before it.</exception>
    public TensorLayout(IEnumerable<(string Name, long[] Shape, long? Offset)> tensors)
    {
        var entries = new List<TensorEntry>();
        long offset = 0;
        foreach (var (name, shape, at) in tensors)
        {
            if (at is { } a && a < offset) throw new ArgumentException($"tensor '{name}' at element {a} overlaps the one before it (ends at {offset})", nameof(tensors));
            var e = new TensorEntry(name, shape.ToArray(), at ?? offset);
            entries.Add(e);
            offset = e.Offset + e.Numel;
        }
        Entries = entries;
        Numel = offset;
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in entries)
            if (!names.Add(e.Name)) throw new ArgumentException($"tensor '{e.Name}' appears twice", nameof(tensors));
    }

    /// <summary>The packed tensors, in buffer order.</summary>
    public IReadOnlyList<TensorEntry> Entries { get; }
    /// <summary>Elements in the flat buffer.</summary>
    public long Numel { get; }
    /// <summary>Bytes of the flat buffer (fp32: 4 per element).</summary>
    public long Bytes => 4 * Numel;

    /// <summary>The layout of a module's parameters (those whose name <paramref name="include"/> accepts, default all), in registration order.</summary>
    public static TensorLayout Of(nn.Module module, Func<string, bool>? include = null) =>
        new(module.named_parameters().Where(p => include?.Invoke(p.name) ?? true).Select(p => (p.name, p.parameter.shape)));

    /// <summary>
    /// The layout of AdamW moments for tensors of this layout: every <c>exp_avg.*</c> at its tensor's offset, then every
    /// <c>exp_avg_sq.*</c> from the next 4096-byte boundary, so both halves can be read and written by direct I/O in
    /// step with the parameters.
    /// </summary>
    public TensorLayout Moments()
    {
        long half = AlignedBuffer.Padded(Numel);
        return new TensorLayout(Entries.Select(e => ("exp_avg." + e.Name, e.Shape, (long?)e.Offset))
            .Concat(Entries.Select(e => ("exp_avg_sq." + e.Name, e.Shape, (long?)(half + e.Offset)))));
    }

    /// <summary>Whether the tensors lie one right after another, with no padding.</summary>
    public bool IsContiguous => Entries.Select((e, i) => e.Offset == (i == 0 ? 0 : Entries[i - 1].Offset + Entries[i - 1].Numel)).All(x => x);

    /// <summary>Entry <paramref name="i"/> of <paramref name="flat"/> (N,) as a view of its shape (no copy).</summary>
    public Tensor View(Tensor flat, int i)
    {
        var e = Entries[i];
        return flat.narrow(0, e.Offset, e.Numel).view(e.Shape);
    }

    /// <summary>Whether two layouts pack the same names and shapes in the same order (offsets may differ by padding).</summary>
    public bool SameAs(TensorLayout other) =>
        Entries.Count == other.Entries.Count && Entries.Zip(other.Entries).All(p => p.First.Name == p.Second.Name && p.First.Shape.SequenceEqual(p.Second.Shape));
}
