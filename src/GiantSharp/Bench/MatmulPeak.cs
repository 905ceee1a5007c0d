using System.Diagnostics;
using static TorchSharp.torch;

namespace GiantSharp.Bench;

/// <summary>
/// The machine's attainable matrix-multiply rate: the best of several timed square matmuls (n x n by n x n,
/// 2 n^3 FLOPs each) after a warm-up, on the threads libtorch is set to use. It is the denominator of
/// MFU here, as a measured peak rather than a datasheet one.
/// </summary>
public static class MatmulPeak
{
    /// <summary>Matrix sizes measured by default (n of the n x n operands).</summary>
    public static readonly IReadOnlyList<int> DefaultSizes = [1024, 1536, 2048];

    /// <summary>The best rate over <paramref name="sizes"/> and <paramref name="repeats"/> timed runs each, in FLOP/s.</summary>
    /// <param name="dtype">Element type of both operands (float32 or bfloat16).</param>
    /// <param name="sizes">Matrix sizes n; default <see cref="DefaultSizes"/>.</param>
    /// <param name="repeats">Timed runs per size (one untimed warm-up run precedes them).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="repeats"/> &lt; 1 or a size &lt; 1.</exception>
    public static double Measure(ScalarType dtype, IReadOnlyList<int>? sizes = null, int repeats = 5)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        double best = 0;
        foreach (var n in sizes ?? DefaultSizes)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(n, 1, nameof(sizes));
            using var scope = NewDisposeScope();
            var g = new Generator().manual_seed(n);
            var a = randn([n, n], generator: g).to(dtype);
            var b = randn([n, n], generator: g).to(dtype);
            var c = a.matmul(b);                                      // warm-up: page in, pick kernels
            for (int r = 0; r < repeats; r++)
            {
                var sw = Stopwatch.StartNew();
                c = mm(a, b);
                var seconds = sw.Elapsed.TotalSeconds;
                c.Dispose();
                best = Math.Max(best, 2.0 * n * n * n / seconds);
            }
        }
        return best;
    }
}
