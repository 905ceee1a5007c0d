using static TorchSharp.torch;

namespace GiantSharp.Multimodal;

/// <summary>
/// The Fréchet distance between Gaussians fitted to two sets of features (FID: Heusel et al. 2017, eq. 6):
/// |mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a^1/2 S_b S_a^1/2)^1/2), in float64. The trace of the square root is taken
/// from the eigenvalues of the symmetric S_a^1/2 S_b S_a^1/2 (negative round-off clipped to 0). The value depends on
/// the sample sizes, so compare it with the distance between two real samples of the same sizes.
/// </summary>
public static class FrechetDistance
{
    /// <summary>The distance between features <paramref name="a"/> (N, D) and <paramref name="b"/> (M, D), N, M &gt;= 2.</summary>
    /// <exception cref="ArgumentException">Fewer than two rows, or the widths differ.</exception>
    public static double Compute(Tensor a, Tensor b)
    {
        if (a.shape[0] < 2 || b.shape[0] < 2 || a.shape[1] != b.shape[1]) throw new ArgumentException($"needs two (N >= 2, D) feature sets of one width, got ({string.Join(", ", a.shape)}) and ({string.Join(", ", b.shape)})");
        using var scope = NewDisposeScope();
        var (muA, covA) = Moments(a);
        var (muB, covB) = Moments(b);
        var rootA = SqrtPsd(covA);
        var inner = rootA.matmul(covB).matmul(rootA);
        var eig = linalg.eigvalsh((inner + inner.t()) / 2).clamp_min(0).sqrt().sum();
        var d = (muA - muB).pow(2).sum() + covA.trace() + covB.trace() - 2 * eig;
        return d.item<double>();
    }

    private static (Tensor Mean, Tensor Cov) Moments(Tensor x)
    {
        x = x.to(ScalarType.Float64);
        var mean = x.mean([0]);
        var centred = x - mean;
        return (mean, centred.t().matmul(centred) / (x.shape[0] - 1));
    }

    private static Tensor SqrtPsd(Tensor s)
    {
        var (values, vectors) = linalg.eigh((s + s.t()) / 2);
        return vectors.matmul(diag(values.clamp_min(0).sqrt())).matmul(vectors.t());
    }
}
