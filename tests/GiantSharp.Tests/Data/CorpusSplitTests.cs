using GiantSharp.Data;

namespace GiantSharp.Tests.Data;

public class CorpusSplitTests
{
    [Fact]
    public void ByCount_is_a_pure_function_of_count_fraction_and_seed()
    {
        var first = CorpusSplit.ByCount(100, 0.1, 1234);
        var again = CorpusSplit.ByCount(100, 0.1, 1234);
        var other = CorpusSplit.ByCount(100, 0.1, 1235);

        Assert.Equal(first.Train, again.Train);
        Assert.Equal(first.Val, again.Val);
        Assert.NotEqual(first.Val, other.Val);
        Assert.Equal(10, first.Val.Length);
        Assert.Equal(Enumerable.Range(0, 100), first.Train.Concat(first.Val).Order());
        // Pinned (checked against a Python SplitMix64): the same split on every machine and .NET version.
        Assert.Equal([0, 6, 8], CorpusSplit.ByCount(10, 0.3, 1234).Val);
    }

    [Theory]
    [InlineData(2, 0.01, 1)]
    [InlineData(2, 0.99, 1)]
    [InlineData(3, 0.5, 2)]
    [InlineData(7, 0.1, 1)]
    public void ByCount_keeps_at_least_one_document_on_each_side(int documents, double fraction, int val)
    {
        var (train, valDocs) = CorpusSplit.ByCount(documents, fraction, 1);
        Assert.Equal(val, valDocs.Length);
        Assert.Equal(documents - val, train.Length);
    }

    /// <summary>The reference: the prefix of the shuffle, 1..n-1 documents, whose tokens are nearest the target (fewest on a tie), by brute force.</summary>
    private static int[] NearestPrefix(long[] tokens, double fraction, int seed)
    {
        int[] order = CorpusSplit.Shuffle(tokens.Length, seed);
        double target = tokens.Sum() * fraction;
        int best = 1;
        for (int k = 1; k < tokens.Length; k++)
            if (Math.Abs(order[..k].Sum(d => tokens[d]) - target) < Math.Abs(order[..best].Sum(d => tokens[d]) - target))
                best = k;
        return order[..best].Order().ToArray();
    }

    [Theory]
    [InlineData(0.1, 1)]
    [InlineData(0.1, 2)]
    [InlineData(0.25, 3)]
    [InlineData(0.5, 4)]
    [InlineData(0.03, 5)]
    [InlineData(0.9, 6)]
    public void ByTokens_takes_the_shuffle_prefix_nearest_the_fraction_so_within_one_document(double fraction, int seed)
    {
        var rng = new Random(seed);
        long[] tokens = Enumerable.Range(0, 40).Select(_ => (long)rng.Next(1, 500)).ToArray();

        var (train, val) = CorpusSplit.ByTokens(tokens, fraction, seed);

        Assert.Equal(NearestPrefix(tokens, fraction, seed), val);
        Assert.Equal(Enumerable.Range(0, 40), train.Concat(val).Order());
        double valTokens = val.Sum(d => tokens[d]);
        Assert.InRange(valTokens, fraction * tokens.Sum() - tokens.Max(), fraction * tokens.Sum() + tokens.Max());
        Assert.Equal(val, CorpusSplit.ByTokens(tokens, fraction, seed).Val);
    }

    [Theory]
    [InlineData(0.25, 2)]    // target 250: 200 and 300 are as near, the fewer documents win
    [InlineData(0.26, 3)]    // target 260: 300 is nearer than 200
    [InlineData(0.01, 1)]    // at least one document
    [InlineData(0.99, 9)]    // at least one document left for train
    public void ByTokens_over_equal_documents_takes_the_nearest_count(double fraction, int valDocuments)
    {
        long[] tokens = Enumerable.Repeat(100L, 10).ToArray();

        Assert.Equal(valDocuments, CorpusSplit.ByTokens(tokens, fraction, 1234).Val.Length);
    }

    [Theory]
    [InlineData(100, 0.1, 90)]
    [InlineData(101, 0.1, 91)]     // 10.1 rounds to 10
    [InlineData(10, 0.01, 9)]      // at least one token for val
    [InlineData(2, 0.99, 1)]       // at least one token for train
    [InlineData(1000, 0.25, 750)]
    public void PositionCut_keeps_the_first_share_for_train(int tokens, double fraction, int cut)
    {
        Assert.Equal(cut, CorpusSplit.PositionCut(tokens, fraction));
    }
}
