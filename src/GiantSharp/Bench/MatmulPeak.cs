using System.Diagnostics;
using static TorchSharp.torch;

namespace GiantSharp.Bench;

/// <summary>
/// The machine's attainable matrix-multiply rate: the best of several timed square matmuls (n x n by n x n,
/// 2 n^3 FLOPs each) after a warm-up, on the threads libtorch is set to use, over the three operand layouts
/// training runs (a b for a Linear's input gradient, a bᵀ for its forward, aᵀ b for its weight gradient).
/// It is the denominator of MFU here: a measured peak rather than a datasheet one.
/// Where a layout is slow (bf16 without bf16 GEMM kernels falls back to scalar loops at ~1 GFLOP/s) its
/// larger sizes are skipped once one run takes over <see cref="SlowRunSeconds"/>.
/// </summary>
public static class MatmulPeak
{
    /// <summary>Matrix sizes measured by default (n of the n x n operands).</summary>
    public static readonly IReadOnlyList<int> DefaultSizes = [1024, 1536, 2048];

    /// <summary>A run slower than this ends the timed runs of its size and skips the larger sizes of its layout, in seconds.</summary>
    public const double SlowRunSeconds = 0.5;

    /// <summary>The best rate over the layouts, <paramref name="sizes"/> and <paramref name="repeats"/> timed runs each, in FLOP/s.</summary>
    /// <param name="dtype">Element type of both operands (float32 or bfloat16).</param>
    /// <param name="sizes">Matrix sizes n, smallest first; default <see cref="DefaultSizes"/>.</param>
    /// <param name="repeats">Timed runs per size and layout (one untimed warm-up run precedes them).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="repeats"/> &lt; 1 or a size &lt; 1.</exception>
    public static double Measure(ScalarType dtype, IReadOnlyList<int>? sizes = null, int repeats = 5)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        double best = 0;
        foreach (var layout in new Func<Tensor, Tensor, Tensor>[] { (a, b) => a.mm(b), (a, b) => a.mm(b.t()), (a, b) => a.t().mm(b) })
        {
            foreach (var n in sizes ?? DefaultSizes)
            {
                ArgumentOutOfRangeException.ThrowIfLessThan(n, 1, nameof(sizes));
                using var scope = NewDisposeScope();
                var g = new Generator().manual_seed(n);
                var a = randn([n, n], generator: g).to(dtype);
                var b = randn([n, n], generator: g).to(dtype);
                layout(a, b).Dispose();                                 // warm-up: page in, pick kernels
                double slowest = 0;
                for (int r = 0; r < repeats && slowest <= SlowRunSeconds; r++)
                {
                    var sw = Stopwatch.StartNew();
                    var c = layout(a, b);
                    var seconds = sw.Elapsed.TotalSeconds;
                    c.Dispose();
                    best = Math.Max(best, 2.0 * n * n * n / seconds);
                    slowest = Math.Max(slowest, seconds);
                }
                if (slowest > SlowRunSeconds) break;
            }
        }
        return best;
    }
}
