using System.Text.Json.Serialization;
using GiantSharp.Errors;

namespace GiantSharp.Model;

/// <summary>
/// Shape of a GPT-style decoder (the M6 family, dense or MoE). JSON keys are snake_case
/// (<c>n_layer</c>, <c>d_model</c>, ...). Derived values (<see cref="HeadDim"/>) are computed here once.
/// Source: Radford et al. 2019 (GPT-2) for the dense block; M6-10T (Lin et al. 2021, sec. 3) for the family.
/// </summary>
public sealed record ModelConfig
{
    // --- depth and width ---
    /// <summary>Number of transformer layers applied in sequence (L). With sharing, fewer unique blocks.</summary>
    public int NLayer { get; init; } = 4;
    /// <summary>Attention heads (H). Must divide <see cref="DModel"/>.</summary>
    public int NHead { get; init; } = 4;
    /// <summary>Residual stream width (C), in features.</summary>
    public int DModel { get; init; } = 128;
    /// <summary>Hidden width of the feed-forward network, in features (4 * d_model in GPT-2).</summary>
    public int DFf { get; init; } = 512;

    // --- tokens ---
    /// <summary>Vocabulary size (V), in tokens. 0 means: take it from the prepared corpus's tokenizer.</summary>
    public int VocabSize { get; init; }
    /// <summary>Context length (T), in tokens: the longest sequence the model is trained on.</summary>
    public int SeqLen { get; init; } = 128;
    /// <summary>Position encoding: <c>learned</c> (GPT-2 absolute embeddings) or <c>rope</c> (rotary, Su et al. 2021).</summary>
    public string Positional { get; init; } = "learned";
    /// <summary>
    /// Width P of the continuous patch features a multimodal input carries (M6's image features; e.g. 16 for 4x4
    /// grayscale patches), in values per position. 0: token ids only. See <see cref="ModelInput"/> for the layout.
    /// </summary>
    public int PatchDim { get; init; }

    // --- regularisation and numerics ---
    /// <summary>Dropout probability on embeddings, attention weights and residual branches, in [0, 1).</summary>
    public double Dropout { get; init; }
    /// <summary>Whether Linear and LayerNorm layers carry bias terms.</summary>
    public bool Bias { get; init; } = true;
    /// <summary>Standard deviation of the normal initialisation of weights (GPT-2: 0.02).</summary>
    public double InitStd { get; init; } = 0.02;
    /// <summary>LayerNorm epsilon.</summary>
    public double LayerNormEps { get; init; } = 1e-5;
    /// <summary>Feed-forward nonlinearity (dense FFN and experts): <c>gelu</c> (exact) or <c>gelu_tanh</c> (GPT-2's approximation).</summary>
    public Activation Activation { get; init; } = Activation.Gelu;

    // --- mixture of experts (M6-T) ---
    /// <summary>Mixture-of-experts feed-forward layers; null for a dense model.</summary>
    public MoeConfig? Moe { get; init; }

    /// <summary>Width of one attention head, in features: d_model / n_head.</summary>
    [JsonIgnore] public int HeadDim => DModel / NHead;

    /// <summary>Checks every field and throws on the first bad one.</summary>
    /// <param name="prefix">Key prefix for error messages, e.g. <c>model</c>.</param>
    /// <exception cref="ConfigException">A value is out of range; the message names the key.</exception>
    public ModelConfig Validate(string prefix = "model")
    {
        Positive(prefix, "n_layer", NLayer);
        Positive(prefix, "n_head", NHead);
        Positive(prefix, "d_model", DModel);
        Positive(prefix, "d_ff", DFf);
        Positive(prefix, "seq_len", SeqLen);
        if (PatchDim < 0) throw new ConfigException($"{prefix}.patch_dim", $"must be >= 0 (0: text only), got {PatchDim}");
        if (VocabSize < 0) throw new ConfigException($"{prefix}.vocab_size", $"must be >= 0 (0: from the tokenizer), got {VocabSize}");
        if (DModel % NHead != 0) throw new ConfigException($"{prefix}.d_model", $"{DModel} is not divisible by n_head = {NHead}; {NearestHeads(DModel, NHead)}");
        if (Positional is not ("learned" or "rope")) throw new ConfigException($"{prefix}.positional", $"must be 'learned' or 'rope', got '{Positional}'");
        if (Positional == "rope" && HeadDim % 2 != 0) throw new ConfigException($"{prefix}.d_model", $"rope needs an even head size, got d_model/n_head = {HeadDim}");
        if (Dropout is < 0 or >= 1 || double.IsNaN(Dropout)) throw new ConfigException($"{prefix}.dropout", $"must be in [0, 1), got {Dropout}");
        if (InitStd is <= 0 || double.IsNaN(InitStd)) throw new ConfigException($"{prefix}.init_std", $"must be > 0, got {InitStd}");
        if (LayerNormEps is <= 0 || double.IsNaN(LayerNormEps)) throw new ConfigException($"{prefix}.layer_norm_eps", $"must be > 0, got {LayerNormEps}");
        Moe?.Validate(this, $"{prefix}.moe");
        return this;
    }

    /// <summary>The n_head values nearest <paramref name="nHead"/> that divide <paramref name="dModel"/>, as a hint: <c>set n_head to 8 or 16 (head size 256 or 128)</c>.</summary>
    private static string NearestHeads(int dModel, int nHead)
    {
        int below = Enumerable.Range(1, Math.Min(nHead, dModel)).Last(h => dModel % h == 0);
        int? above = Enumerable.Range(nHead, Math.Max(0, dModel - nHead + 1)).Cast<int?>().FirstOrDefault(h => dModel % h == 0);
        return above is { } a && a != below
            ? $"set n_head to {below} or {a} (head size {dModel / below} or {dModel / a})"
            : $"set n_head to {below} (head size {dModel / below})";
    }

    private static void Positive(string prefix, string key, int value)
    {
        if (value <= 0) throw new ConfigException($"{prefix}.{key}", $"must be > 0, got {value}");
    }
}
