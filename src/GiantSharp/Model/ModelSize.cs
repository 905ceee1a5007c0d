namespace GiantSharp.Model;

/// <summary>
/// Parameter and FLOP counts of a <see cref="GptModel"/>, computed analytically from its config (no model
/// is built: usable for M6-10T's 10 trillion parameters; vocab_size 0 counts no token embedding). Counts are
/// in parameters (elements), FLOPs in floating-point operations. The LM head is tied to the token embedding
/// and counted once.
/// </summary>
/// <param name="TotalParameters">Parameters of the Real Giant (every layer its own block): what delinking produces.</param>
/// <param name="UniqueParameters">Parameters actually stored with the given number of unique blocks (the Pseudo Giant stores one).</param>
/// <param name="ActiveParametersPerToken">
/// Parameters one token's forward pass touches over all n_layer layers: everything except, in each MoE
/// layer, the experts it is not routed to (A = top_k * num_prototypes of E experts are used). The router is
/// active in full. Independent of sharing: a shared block applied n_layer times counts n_layer times.
/// </param>
/// <param name="FlopsPerToken">
/// Training FLOPs (forward + backward) per token: 6 * N + 12 * n_layer * d_model * seq_len, with N the active
/// parameters without the position embedding (a lookup, not a matmul), and the second term attention's
/// score and value matmuls at full context (PaLM, Chowdhery et al. 2022, app. B; nanoGPT's estimate_mfu).
/// Capacity padding and dropped tokens are not counted.
/// </param>
public sealed record ModelSize(long TotalParameters, long UniqueParameters, long ActiveParametersPerToken, long FlopsPerToken)
{
    /// <summary>
    /// The sizes of a model of shape <paramref name="config"/> whose stack has <paramref name="uniqueBlocks"/>
    /// blocks, block b first used by layer b (true of every valid <c>SharingPlan</c>: none, all and group,
    /// since layers sharing a block must agree on dense/MoE).
    /// </summary>
    /// <exception cref="Errors.ConfigException">The config is invalid.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="uniqueBlocks"/> is outside [1, n_layer].</exception>
    public static ModelSize Of(ModelConfig config, int uniqueBlocks)
    {
        config.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(uniqueBlocks, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(uniqueBlocks, config.NLayer);
        long c = config.DModel;
        long positionEmbedding = PositionEmbeddingParameters(config);
        long outside = OutsideParameters(config);

        long total = outside, unique = outside, active = outside;
        for (int layer = 0; layer < config.NLayer; layer++)
        {
            bool moe = GptModel.IsMoeLayer(config, layer);
            total += BlockParameters(config, moe);
            if (layer < uniqueBlocks) unique += BlockParameters(config, moe);
            active += BlockParameters(config, moe) - (moe ? (config.Moe!.NumExperts - config.Moe.AssignmentsPerToken) * ExpertParameters(config) : 0);
        }
        long flops = 6 * (active - positionEmbedding) + 12L * config.NLayer * c * config.SeqLen;
        return new ModelSize(total, unique, active, flops);
    }

    /// <summary>Parameters outside the layer stack: token embedding (tied with the LM head), learned positions, patch projection, final LayerNorm.</summary>
    public static long OutsideParameters(ModelConfig config) =>
        (long)config.VocabSize * config.DModel + PositionEmbeddingParameters(config) + (long)config.PatchDim * config.DModel + LayerNorm(config);

    private static long PositionEmbeddingParameters(ModelConfig config) =>
        config.Positional == "learned" ? (long)config.SeqLen * config.DModel : 0;

    /// <summary>Parameters of one block: two LayerNorms, attention, and a dense FFN or an MoE FFN (router (E, C) + E experts).</summary>
    public static long BlockParameters(ModelConfig config, bool isMoe)
    {
        long c = config.DModel, bias = config.Bias ? 1 : 0;
        long attention = c * 3 * c + bias * 3 * c + c * c + bias * c;                  // c_attn, c_proj
        long ffn = isMoe ? config.Moe!.NumExperts * (c + ExpertParameters(config)) : ExpertParameters(config);
        return 2 * LayerNorm(config) + attention + ffn;
    }

    /// <summary>Parameters of one dense FFN or one expert: (C, d_ff) and (d_ff, C) weights and their biases.</summary>
    public static long ExpertParameters(ModelConfig config)
    {
        long c = config.DModel, f = config.DFf, bias = config.Bias ? 1 : 0;
        return 2 * c * f + bias * (f + c);
    }

    /// <summary>
    /// Elements of the model's largest single parameter tensor: the token embedding (V, C), an attention projection
    /// (C, 3C), a dense FFN weight (C, d_ff), or an MoE layer's stacked expert weights (E, C, d_ff).
    /// </summary>
    public static long LargestTensor(ModelConfig config)
    {
        long c = config.DModel, f = config.DFf;
        long ffn = config.Moe is { } moe ? moe.NumExperts * c * f : c * f;
        return new[] { (long)config.VocabSize * c, PositionEmbeddingParameters(config), 3 * c * c, ffn }.Max();
    }

    private static long LayerNorm(ModelConfig config) => config.Bias ? 2L * config.DModel : config.DModel;
}
