using static TorchSharp.torch;

namespace GiantSharp.Tests.Parallel;

/// <summary>Comparisons of two state dicts (weights or AdamW state) saved by runs that should agree.</summary>
internal static class TensorFiles
{
    /// <summary>
    /// Same keys and shapes; over all tensors together |diff| / |x| &lt;= 1e-5 (L2); each tensor within 1e-3 of its own norm.
    /// Per tensor only 1e-3: a tensor whose exact gradient is 0 (e.g. the key bias, softmax ignores it) gets roundoff as a
    /// gradient, which AdamW's m / sqrt(v) scales up to the learning rate whatever its size, in one process as on N ranks.
    /// </summary>
    public static void AssertClose(Dictionary<string, Tensor> expected, Dictionary<string, Tensor> actual, string what)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        double diffSq = 0, normSq = 0;
        foreach (var (k, e) in expected)
        {
            var a = actual[k];
            Assert.Equal(e.shape, a.shape);
            var d = (e - a).to(ScalarType.Float64).norm().item<double>();
            var n = e.to(ScalarType.Float64).norm().item<double>();
            Assert.True(d <= 1e-3 * Math.Max(n, 1e-6), $"{what} {k}: |diff| {d} vs |x| {n}");
            diffSq += d * d;
            normSq += n * n;
        }
        Assert.True(Math.Sqrt(diffSq) <= 1e-5 * Math.Sqrt(normSq), $"{what}: |diff| {Math.Sqrt(diffSq)} vs |x| {Math.Sqrt(normSq)} over all tensors");
    }
}
