using static TorchSharp.torch;

namespace GiantSharp.Training.Optim;

/// <summary>
/// Which parameters get weight decay: weight matrices (dim &gt;= 2) except embeddings; never norms or biases, whatever
/// their rank (MoE experts stack their biases: <c>b_fc</c> (E, d_ff), <c>b_proj</c> (E, C)).
/// Source: the GPT-2/nanoGPT convention; AdamW (Loshchilov &amp; Hutter 2019).
/// </summary>
public static class WeightDecayPolicy
{
    /// <summary>True when the parameter named <paramref name="name"/> (a state-dict key) should decay.</summary>
    public static bool Decays(string name, Tensor parameter) => Decays(name, parameter.shape);

    /// <summary>True when a parameter named <paramref name="name"/> of shape <paramref name="shape"/> should decay (for updates that see only a piece of it).</summary>
    public static bool Decays(string name, long[] shape)
    {
        if (shape.Length < 2 || name.StartsWith("wte.", StringComparison.Ordinal) || name.StartsWith("wpe.", StringComparison.Ordinal)) return false;
        var parts = name.Split('.');
        var leaf = parts[^1];
        if (leaf == "bias" || leaf.StartsWith("b_", StringComparison.Ordinal)) return false;          // biases, stacked or not
        return !parts.Any(p => p.StartsWith("ln", StringComparison.Ordinal) || p.Contains("norm", StringComparison.OrdinalIgnoreCase));   // norms
    }
}
