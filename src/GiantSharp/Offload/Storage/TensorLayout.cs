using static TorchSharp.torch;

namespace GiantSharp.Offload.Storage;

/// <summary>
/// How named tensors are packed, one after another, into one flat fp32 buffer (a store group): a layer's
/// parameters, its gradients, or its AdamW moments. Shapes: the flat buffer is (N,), N = <see cref="Numel"/>.
/// </summary>
public sealed class TensorLayout
{
    /// <summary>Packs tensors of the given names and shapes in the given order.</summary>
    /// <exception cref="ArgumentException">A name appears twice.</exception>
    public TensorLayout(IEnumerable<(string Name, long[] Shape)> tensors)
    {
        var entries = new List<TensorEntry>();
        long offset = 0;
        foreach (var (name, shape) in tensors)
        {
            var e = new TensorEntry(name, shape.ToArray(), offset);
            entries.Add(e);
            offset += e.Numel;
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

    /// <summary>The layout of AdamW moments for tensors of this layout: every <c>exp_avg.*</c>, then every <c>exp_avg_sq.*</c>.</summary>
    public TensorLayout Moments() => new(
        Entries.Select(e => ("exp_avg." + e.Name, e.Shape)).Concat(Entries.Select(e => ("exp_avg_sq." + e.Name, e.Shape))));

    /// <summary>Entry <paramref name="i"/> of <paramref name="flat"/> (N,) as a view of its shape (no copy).</summary>
    public Tensor View(Tensor flat, int i)
    {
        var e = Entries[i];
        return flat.narrow(0, e.Offset, e.Numel).view(e.Shape);
    }

    /// <summary>Whether two layouts pack the same names and shapes in the same order.</summary>
    public bool SameAs(TensorLayout other) =>
        Entries.Count == other.Entries.Count && Entries.Zip(other.Entries).All(p => p.First.Name == p.Second.Name && p.First.Shape.SequenceEqual(p.Second.Shape));
}
