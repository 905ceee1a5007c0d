using GiantSharp.Errors;
using static TorchSharp.torch;

namespace GiantSharp.Data;

/// <summary>
/// Random training windows with no state: batch number k is a pure function of (seed, k), so resuming at
/// step k needs only k, and every machine draws the same offsets. With gradient accumulation, number
/// micro-batches globally (e.g. step * accumulation + micro) so none repeat.
/// </summary>
public sealed class BatchSampler
{
    /// <summary>Samples windows of <paramref name="seqLen"/> + 1 tokens from <paramref name="shard"/>.</summary>
    /// <param name="shard">The tokens to sample from.</param>
    /// <param name="seqLen">T, tokens per row.</param>
    /// <param name="seed">Seed of every batch's offsets.</param>
    /// <exception cref="ConfigException">Key <c>seq_len</c>: not positive.</exception>
    /// <exception cref="DataException">The shard has fewer than seq_len + 1 tokens.</exception>
    public BatchSampler(TokenShard shard, int seqLen, long seed)
    {
        ArgumentNullException.ThrowIfNull(shard);
        shard.EnsureFits(seqLen);
        Shard = shard;
        SeqLen = seqLen;
        Seed = seed;
    }

    /// <summary>The tokens sampled from.</summary>
    public TokenShard Shard { get; }

    /// <summary>T, tokens per row.</summary>
    public int SeqLen { get; }

    /// <summary>The seed.</summary>
    public long Seed { get; }

    /// <summary>
    /// The start offsets of batch <paramref name="batchIndex"/>: <paramref name="batchSize"/> numbers,
    /// uniform in [0, Length - T - 1], drawn by SplitMix64 from a state hashed from (seed, batchIndex).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchIndex"/> is negative or <paramref name="batchSize"/> is not positive.</exception>
    public long[] Offsets(long batchIndex, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batchIndex);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var rng = new SplitMix64(SplitMix64.Mix(SplitMix64.Mix((ulong)Seed) ^ (ulong)batchIndex));
        long starts = Shard.Length - SeqLen;
        var offsets = new long[batchSize];
        for (int b = 0; b < batchSize; b++)
            offsets[b] = rng.NextBelow(starts);
        return offsets;
    }

    /// <summary>Batch <paramref name="batchIndex"/>: X and Y = X shifted by one token, int64 (B, T).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchIndex"/> is negative or <paramref name="batchSize"/> is not positive.</exception>
    public (Tensor X, Tensor Y) Batch(long batchIndex, int batchSize) =>
        Shard.GetBatch(Offsets(batchIndex, batchSize), SeqLen);

    /// <summary>
    /// A fixed set of <paramref name="count"/> offsets spread evenly over [0, Length - T - 1] (first and
    /// last included), so every evaluation sees the same windows. Offsets repeat when count exceeds the
    /// number of windows.
    /// </summary>
    /// <exception cref="ConfigException">Key <c>seq_len</c>: not positive.</exception>
    /// <exception cref="DataException">The shard has fewer than seq_len + 1 tokens.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is not positive.</exception>
    public static long[] EvalOffsets(TokenShard shard, int seqLen, int count)
    {
        ArgumentNullException.ThrowIfNull(shard);
        shard.EnsureFits(seqLen);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        long last = shard.Length - seqLen - 1;
        var offsets = new long[count];
        for (int i = 0; i < count; i++)
            offsets[i] = count == 1 ? 0 : (long)((Int128)last * i / (count - 1));
        return offsets;
    }
}
