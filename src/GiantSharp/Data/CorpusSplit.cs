namespace GiantSharp.Data;

/// <summary>
/// Train/val splits, deterministic on every machine: a SplitMix64 Fisher-Yates shuffle of the documents, seeded, whose
/// first part goes to val. <see cref="ByCount"/> takes a number of documents (image examples), <see cref="ByTokens"/>
/// the documents whose tokens come nearest the fraction asked for; one document is cut by position instead
/// (<see cref="PositionCut"/>, as nanoGPT's shakespeare_char: the first part trains, the last validates).
/// </summary>
public static class CorpusSplit
{
    /// <summary>0..<paramref name="count"/>-1 shuffled by a SplitMix64 Fisher-Yates shuffle seeded by <paramref name="seed"/>.</summary>
    public static int[] Shuffle(int count, int seed)
    {
        int[] order = Enumerable.Range(0, count).ToArray();
        var rng = new SplitMix64((ulong)(long)seed);
        for (int i = count - 1; i > 0; i--)
        {
            int j = (int)rng.NextBelow(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <summary>
    /// The first round(documents * valFraction) (at least 1, at most documents-1) of the <see cref="Shuffle"/> go to
    /// val. Each split is returned in ascending document order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Fewer than 2 documents, or <paramref name="valFraction"/> outside (0, 1).</exception>
    public static (int[] Train, int[] Val) ByCount(int documents, double valFraction, int seed)
    {
        Check(documents, valFraction);
        int valCount = Math.Clamp((int)Math.Round(documents * valFraction, MidpointRounding.AwayFromZero), 1, documents - 1);
        return Take(Shuffle(documents, seed), valCount);
    }

    /// <summary>
    /// Val is the shortest prefix of the <see cref="Shuffle"/> whose token count is nearest valFraction of all tokens
    /// (at least 1 document, at most documents-1), so the val share of tokens is within one document of the fraction.
    /// Each split is returned in ascending document order.
    /// </summary>
    /// <param name="tokens">Tokens per document (end-of-text included), each &gt;= 0.</param>
    /// <param name="valFraction">Share of the tokens for val, in (0, 1).</param>
    /// <param name="seed">Seed of the shuffle.</param>
    /// <exception cref="ArgumentOutOfRangeException">Fewer than 2 documents, or <paramref name="valFraction"/> outside (0, 1).</exception>
    public static (int[] Train, int[] Val) ByTokens(IReadOnlyList<long> tokens, double valFraction, int seed)
    {
        Check(tokens.Count, valFraction);
        int[] order = Shuffle(tokens.Count, seed);
        double target = tokens.Sum() * valFraction;
        long sum = tokens[order[0]];
        int valCount = 1;
        while (valCount < tokens.Count - 1 && sum < target)
        {
            long next = sum + tokens[order[valCount]];
            if (next - target >= target - sum) break;          // one more document would land no nearer the target
            sum = next;
            valCount++;
        }
        return Take(order, valCount);
    }

    /// <summary>
    /// Where one document of <paramref name="tokens"/> tokens is cut: the last round(tokens * valFraction) (at least 1,
    /// at most tokens-1) go to val, the first <c>Cut</c> to train.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Fewer than 2 tokens, or <paramref name="valFraction"/> outside (0, 1).</exception>
    public static int PositionCut(int tokens, double valFraction)
    {
        Check(tokens, valFraction);
        return tokens - Math.Clamp((int)Math.Round(tokens * valFraction, MidpointRounding.AwayFromZero), 1, tokens - 1);
    }

    private static void Check(int count, double valFraction)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 2);
        if (!(valFraction > 0 && valFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(valFraction), valFraction, "must be in (0, 1)");
    }

    private static (int[] Train, int[] Val) Take(int[] order, int valCount) =>
        (order[valCount..].Order().ToArray(), order[..valCount].Order().ToArray());
}
