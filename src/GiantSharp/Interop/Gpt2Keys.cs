namespace GiantSharp.Interop;

/// <summary>
/// GPT-2's state-dict key names (transformers' GPT2LMHeadModel) and how our block's keys map onto them. Our block's
/// parameter names are nanoGPT's, which are GPT-2's below <c>transformer.h.{i}.</c>.
/// </summary>
public static class Gpt2Keys
{
    /// <summary>Token embedding (V, C).</summary>
    public const string Wte = "transformer.wte.weight";
    /// <summary>The prefix of GPT2LMHeadModel's transformer keys (a bare GPT2Model's keys lack it).</summary>
    public const string Prefix = "transformer.";
    /// <summary>Position embedding (T, C).</summary>
    public const string Wpe = "transformer.wpe.weight";
    /// <summary>Final LayerNorm weight (C).</summary>
    public const string LnFWeight = "transformer.ln_f.weight";
    /// <summary>Final LayerNorm bias (C).</summary>
    public const string LnFBias = "transformer.ln_f.bias";
    /// <summary>The LM head, which GPT-2 ties to wte and leaves out of its files (accepted on import if it equals wte).</summary>
    public const string LmHead = "lm_head.weight";

    /// <summary>One layer's keys below <c>transformer.h.{i}.</c>, in GPT-2's order (also our block's state-dict names).</summary>
    public static IReadOnlyList<string> LayerSuffixes { get; } =
    [
        "ln_1.weight", "ln_1.bias",
        "attn.c_attn.weight", "attn.c_attn.bias", "attn.c_proj.weight", "attn.c_proj.bias",
        "ln_2.weight", "ln_2.bias",
        "mlp.c_fc.weight", "mlp.c_fc.bias", "mlp.c_proj.weight", "mlp.c_proj.bias",
    ];

    /// <summary>GPT-2's key of layer <paramref name="layer"/>'s tensor <paramref name="suffix"/>.</summary>
    public static string Layer(int layer, string suffix) => $"transformer.h.{layer}.{suffix}";

    /// <summary>Whether <paramref name="suffix"/> is a Conv1D weight, stored (in, out): the transpose of our Linear weight (out, in).</summary>
    public static bool IsConv1DWeight(string suffix) => suffix.EndsWith(".weight", StringComparison.Ordinal) && !suffix.StartsWith("ln_", StringComparison.Ordinal);
}
