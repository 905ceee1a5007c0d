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
        using var scope = NewDisposeScope();
        double sumSq = 0;
        foreach (var g in grads)
            sumSq += g.to(ScalarType.Float64).square().sum().item<double>();
        return Math.Sqrt(sumSq);
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
