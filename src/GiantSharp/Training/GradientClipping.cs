using static TorchSharp.torch;

namespace GiantSharp.Training;

/// <summary>Global-norm gradient clipping (Pascanu et al. 2013), as torch.nn.utils.clip_grad_norm_.</summary>
public static class GradientClipping
{
    /// <summary>
    /// The global L2 norm of all gradients: sqrt(sum of squared per-tensor norms). Parameters without
    /// a gradient are skipped. Exposed so that the offload engine can combine norms computed per layer.
    /// </summary>
    public static double GlobalNorm(IEnumerable<Tensor> grads)
    {
        double sumSq = 0;
        foreach (var g in grads)
            sumSq += SumOfSquares(g);
        return Math.Sqrt(sumSq);
    }

    /// <summary>Elements per float64 chunk in <see cref="SumOfSquares"/>: 2 MiB of doubles, cache-sized.</summary>
    internal const long ChunkElements = 1 << 18;

    /// <summary>
    /// Sum of squares of <paramref name="grad"/>'s elements, each squared exactly in float64 and summed in
    /// float64. Large tensors go in chunks of <see cref="ChunkElements"/> so that no float64 copy of a whole
    /// gradient is made (a copy of the 50257 x 768 embedding gradient is 300 MB, page-faulted in every step);
    /// only the order of the float64 additions differs from one whole-tensor sum, and libtorch's own
    /// parallel sum already varies that order with the thread count. The offload engine sums per layer
    /// with this same function, so its global norm equals the resident one.
    /// </summary>
    public static double SumOfSquares(Tensor grad)
    {
        using var scope = NewDisposeScope();
        var flat = grad.reshape(-1);                                                   // (n,), a view when contiguous
        long n = flat.shape[0];
        double sum = 0;
        for (long start = 0; start < n; start += ChunkElements)
        {
            using var chunkScope = NewDisposeScope();
            sum += flat.narrow(0, start, Math.Min(ChunkElements, n - start)).to(ScalarType.Float64).square().sum().item<double>();
        }
        return sum;
    }

    /// <summary>The factor gradients are multiplied by: min(1, max_norm / (norm + 1e-6)); 1 when clipping is off.</summary>
    public static double ClipCoefficient(double norm, double maxNorm) =>
        maxNorm <= 0 ? 1.0 : Math.Min(1.0, maxNorm / (norm + 1e-6));

    /// <summary>Scales the gradients of <paramref name="parameters"/> in place so their global norm is at most <paramref name="maxNorm"/> (0: no clipping).</summary>
    /// <returns>The norm before clipping.</returns>
    public static double ClipGlobalNorm(IEnumerable<Tensor> parameters, double maxNorm)
    {
        var grads = parameters.Select(p => p.grad).OfType<Tensor>().ToList();
        var norm = GlobalNorm(grads);
        var coef = ClipCoefficient(norm, maxNorm);
        if (coef < 1.0)
        {
            using var _ = no_grad();
            foreach (var g in grads) g.mul_(coef);
        }
        return norm;
    }
}
