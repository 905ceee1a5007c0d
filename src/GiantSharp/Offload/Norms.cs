using static TorchSharp.torch;

namespace GiantSharp.Offload;

/// <summary>Pieces of the global gradient norm computed where the gradients live.</summary>
internal static class Norms
{
    /// <summary>
    /// sum(g^2) of one tensor in float64, computed as <see cref="Training.GradientClipping.GlobalNorm"/> does (so
    /// that combined per layer it gives the same norm), its float64 temporaries freed before returning.
    /// </summary>
    public static double SumOfSquares(Tensor g)
    {
        using var scope = NewDisposeScope();
        return g.to(ScalarType.Float64).square().sum().item<double>();
    }
}
