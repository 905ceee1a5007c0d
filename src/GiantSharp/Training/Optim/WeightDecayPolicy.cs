using static TorchSharp.torch;

namespace GiantSharp.Training.Optim;

/// <summary>
/// Which parameters get weight decay: matrices (dim &gt;= 2) except embeddings; never norms or biases.
/// Source: the GPT-2/nanoGPT convention; AdamW (Loshchilov &amp; Hutter 2019).
/// </summary>
public static class WeightDecayPolicy
{
    /// <summary>True when the parameter named <paramref name="name"/> (a state-dict key) should decay.</summary>
    public static bool Decays(string name, Tensor parameter) => Decays(name, parameter.shape);

    /// <summary>True when a parameter named <paramref name="name"/> of shape <paramref name="shape"/> should decay (for updates that see only a piece of it).</summary>
    public static bool Decays(string name, long[] shape) =>
        shape.Length >= 2 && !name.StartsWith("wte.", StringComparison.Ordinal) && !name.StartsWith("wpe.", StringComparison.Ordinal);
}
