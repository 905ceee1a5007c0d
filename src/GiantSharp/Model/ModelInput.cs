using static TorchSharp.torch;

namespace GiantSharp.Model;

/// <summary>
/// The two input layouts a <see cref="GptModel"/> reads. Text: token ids (B, T) int64, attention causal throughout.
/// Multimodal (M6, Lin et al. 2021, "M6: A Chinese Multimodal Pretrainer", sec. 3): int64 (B, T, 2 + P) with P =
/// <see cref="ModelConfig.PatchDim"/>, per position
/// <list type="bullet">
/// <item>channel <see cref="TokenChannel"/>: the token id (for a continuous image patch, a placeholder token whose embedding marks the modality);</item>
/// <item>channel <see cref="PrefixChannel"/>: 1 if the position belongs to the conditioning prefix, else 0; the prefix is a
/// leading run of positions, attended bidirectionally, and the rest is causal (prefix LM: Raffel et al. 2020, T5, sec. 3.2.1);</item>
/// <item>channels <see cref="PatchChannel"/> .. 2 + P - 1: the P values of a continuous patch as integers 0 .. <see cref="PatchScale"/>
/// (8-bit pixels), projected into the residual stream and added to the token embedding; zeros where there is no patch.</item>
/// </list>
/// Which positions hold what is the data's business (its layout is configuration); the model reads only these channels.
/// </summary>
public static class ModelInput
{
    /// <summary>Channel of the token id.</summary>
    public const int TokenChannel = 0;
    /// <summary>Channel of the prefix flag.</summary>
    public const int PrefixChannel = 1;
    /// <summary>First channel of the patch values.</summary>
    public const int PatchChannel = 2;
    /// <summary>Patch values are divided by this (8-bit pixels to [0, 1]).</summary>
    public const double PatchScale = 255.0;

    /// <summary>
    /// Packs ids (B, T), the prefix length of each row, and optional patch values (B, T, P) into the multimodal
    /// layout (B, T, 2 + P) int64, on the device of <paramref name="ids"/>.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes disagree, or a prefix length is outside [0, T].</exception>
    public static Tensor Pack(Tensor ids, IReadOnlyList<int> prefixLengths, Tensor? patches = null)
    {
        long b = ids.shape[0], t = ids.shape[1];
        if (prefixLengths.Count != b) throw new ArgumentException($"{prefixLengths.Count} prefix lengths for {b} rows", nameof(prefixLengths));
        if (prefixLengths.Any(l => l < 0 || l > t)) throw new ArgumentException($"prefix lengths must be in [0, {t}]", nameof(prefixLengths));
        if (patches is not null && (patches.shape[0] != b || patches.shape[1] != t))
            throw new ArgumentException($"patches are ({string.Join(", ", patches.shape)}), ids ({b}, {t})", nameof(patches));
        using var scope = NewDisposeScope();
        var lengths = tensor(prefixLengths.Select(l => (long)l).ToArray(), dtype: ScalarType.Int64, device: ids.device);  // (B)
        var flags = (arange(t, dtype: ScalarType.Int64, device: ids.device).unsqueeze(0) < lengths.unsqueeze(1)).to(ScalarType.Int64); // (B, T)
        var parts = new List<Tensor> { ids.to(ScalarType.Int64).unsqueeze(2), flags.unsqueeze(2) };
        if (patches is not null) parts.Add(patches.to(ScalarType.Int64));
        return cat(parts, dim: 2).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The prefix length of each row of a multimodal input (B, T, C), read from its prefix channel; null when no row
    /// has a prefix (the input is then causal throughout, as text).
    /// </summary>
    /// <exception cref="ArgumentException">A row's prefix flags are not a leading run (1 .. 1 0 .. 0) of zeros and ones.</exception>
    public static int[]? PrefixLengths(Tensor input)
    {
        long b = input.shape[0], t = input.shape[1];
        using var scope = NewDisposeScope();
        var flags = input.select(2, PrefixChannel).cpu().contiguous().data<long>().ToArray();   // (B * T)
        var lengths = new int[b];
        bool any = false;
        for (long r = 0; r < b; r++)
        {
            int n = 0;
            while (n < t && flags[r * t + n] == 1) n++;
            for (long i = n; i < t; i++)
                if (flags[r * t + i] != 0) throw new ArgumentException($"row {r}: the prefix channel must be a leading run of 1s then 0s, found {flags[r * t + i]} at position {i}", nameof(input));
            lengths[r] = n;
            any |= n > 0;
        }
        return any ? lengths : null;
    }
}
