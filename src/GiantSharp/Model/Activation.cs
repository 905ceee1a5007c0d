namespace GiantSharp.Model;

/// <summary>
/// The feed-forward nonlinearity (config key <c>model.activation</c>): <c>gelu</c>, exact GELU (Hendrycks and Gimpel
/// 2016: x Φ(x)); <c>gelu_tanh</c>, its tanh approximation 0.5 x (1 + tanh(√(2/π)(x + 0.044715 x³))), which GPT-2
/// uses (transformers' <c>gelu_new</c>), so checkpoints imported from GPT-2 compute as they were trained.
/// </summary>
public enum Activation
{
    /// <summary>Exact GELU (erf).</summary>
    Gelu,

    /// <summary>GELU's tanh approximation, as in GPT-2.</summary>
    GeluTanh,
}
