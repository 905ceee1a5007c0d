using GiantSharp.Model;

namespace GiantSharp.Bench;

/// <summary>
/// Model FLOPs of training a dense GPT, per token, as nanoGPT's <c>estimate_mfu</c> counts them (after the
/// PaLM paper, Chowdhery et al. 2022, appendix B): 6 FLOPs per parameter per token for the matmuls of
/// forward (2) and backward (4), plus 12 L C T for attention scores and their weighted sum.
/// Here N is the non-embedding parameter count (every block, the final LayerNorm; not wte, not wpe)
/// and the LM head, tied to wte and so not in N, is counted as its own matmul: 6 C V. That equals
/// nanoGPT's 6 N' with N' = its <c>get_num_params()</c> (which keeps the tied wte and drops wpe).
/// Element-wise work (LayerNorm, GELU, softmax, AdamW) is not counted: MFU counts useful matmul work only.
/// </summary>
public static class TrainingFlops
{
    /// <summary>
    /// Non-embedding parameters N of a dense model of this shape: per layer the attention (C x 3C and
    /// C x C), the MLP (C x F and F x C), two LayerNorms, their biases when <c>bias</c>; plus the final LayerNorm.
    /// Every layer counts, shared or not: FLOPs follow the layers applied, not the parameters stored.
    /// </summary>
    /// <exception cref="ArgumentException">The config has mixture-of-experts layers (their active count differs).</exception>
    public static long NonEmbeddingParameters(ModelConfig config)
    {
        if (config.Moe is not null) throw new ArgumentException("FLOPs per token are counted here for dense models only", nameof(config));
        long finalLayerNorm = config.Bias ? 2L * config.DModel : config.DModel;
        return config.NLayer * ModelSize.BlockParameters(config, isMoe: false) + finalLayerNorm;
    }

    /// <summary>
    /// Training FLOPs per token: 6 N + 6 C V + 12 L C T (N from <see cref="NonEmbeddingParameters"/>,
    /// C d_model, V vocab_size, L n_layer, T seq_len).
    /// </summary>
    /// <exception cref="ArgumentException">The config has mixture-of-experts layers.</exception>
    public static double PerToken(ModelConfig config)
    {
        if (config.Moe is not null) throw new ArgumentException("FLOPs per token are counted here for dense models only", nameof(config));
        return ModelSize.Of(config, config.NLayer).FlopsPerToken;   // the same sum, counted once for info and bench
    }
}
