using static TorchSharp.torch;

namespace GiantSharp.Model;

/// <summary>
/// M6's attention mask: bidirectional over each row's conditioning prefix, causal over the rest (the prefix LM of
/// M6, Lin et al. 2021, sec. 3, and T5, Raffel et al. 2020, sec. 3.2.1). Query i of row b may attend key j iff
/// j &lt;= i or j &lt; prefix[b]: the prefix sees itself whole and nothing after it; later positions see the prefix and
/// what came before them.
/// </summary>
public static class PrefixLmMask
{
    /// <summary>The mask (B, 1, T, T) bool, true where attention is allowed, for rows with prefix lengths <paramref name="prefixLengths"/> (B).</summary>
    /// <exception cref="ArgumentException">A prefix length is outside [0, T].</exception>
    public static Tensor Build(IReadOnlyList<int> prefixLengths, long t, Device device)
    {
        if (prefixLengths.Any(l => l < 0 || l > t)) throw new ArgumentException($"prefix lengths must be in [0, {t}]", nameof(prefixLengths));
        using var scope = NewDisposeScope();
        var pos = arange(t, dtype: ScalarType.Int64, device: device);                                          // (T)
        var causal = pos.unsqueeze(1) >= pos.unsqueeze(0);                                                       // (T, T): j <= i
        var lengths = tensor(prefixLengths.Select(l => (long)l).ToArray(), dtype: ScalarType.Int64, device: device); // (B)
        var keyInPrefix = pos.unsqueeze(0) < lengths.unsqueeze(1);                                               // (B, T): j < prefix[b]
        return (causal.unsqueeze(0) | keyInPrefix.unsqueeze(1)).unsqueeze(1).MoveToOuterDisposeScope();          // (B, 1, T, T)
    }
}
