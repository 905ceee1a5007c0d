using GiantSharp.Model;

namespace GiantSharp.Offload.Planning;

/// <summary>
/// Activation memory of one training micro-batch of B sequences of T tokens, in bytes (fp32), from the model shape
/// alone, for the memory planner. What autograd saves per layer (Korthikanti et al. 2022, "Reducing Activation
/// Recomputation in Large Transformer Models", sec. 4.1, counted for fp32 and this block): the two LayerNorms' inputs
/// and outputs, q, k, v, the attention output and the residual (about 10 B·T·C values), the FFN's hidden
/// activations before and after GELU (2 B·T·d_ff; for a mixture of experts, the capacity-padded dispatch buffers:
/// capacity_factor x assignments per token x (2 C + 2 d_ff) per token), and, when dropout is on (libtorch's CPU
/// attention then takes its math path), the attention scores and probabilities (2.5 B·H·T²); plus the head's
/// logits, their softmax and gradient (3 B·T·V). An estimate: the budget test measures the real peak.
/// </summary>
public static class ActivationEstimate
{
    /// <summary>Bytes one layer's autograd graph holds for a micro-batch of <paramref name="microBatch"/> sequences of seq_len tokens.</summary>
    public static long PerLayer(ModelConfig c, bool isMoe, int microBatch)
    {
        double tokens = (double)microBatch * c.SeqLen;
        double values = tokens * 10 * c.DModel;
        if (isMoe && c.Moe is { } moe)
            values += tokens * moe.CapacityFactor * moe.AssignmentsPerToken * (2.0 * c.DModel + 2.0 * c.DFf) + tokens * moe.NumExperts;
        else
            values += tokens * 2 * c.DFf;
        if (c.Dropout > 0) values += 2.5 * microBatch * c.NHead * (double)c.SeqLen * c.SeqLen;
        return (long)(4 * values);
    }

    /// <summary>Bytes of the head: logits (B, T, V), their log-softmax and gradient.</summary>
    public static long Head(ModelConfig c, int microBatch) => 4L * 3 * microBatch * c.SeqLen * c.VocabSize;

    /// <summary>Bytes of one layer's input (B, T, C), which the streamed step keeps for every layer to recompute from.</summary>
    public static long LayerInput(ModelConfig c, int microBatch) => 4L * microBatch * c.SeqLen * c.DModel;

    /// <summary>The resident step: every layer's graph at once, plus the head.</summary>
    public static long Resident(ModelConfig c, int microBatch) =>
        Enumerable.Range(0, c.NLayer).Sum(i => PerLayer(c, GptModel.IsMoeLayer(c, i), microBatch)) + Head(c, microBatch);

    /// <summary>
    /// The layer-streamed step: every layer's input, the graphs of the last <paramref name="keepActivations"/> layers,
    /// one layer recomputed and back-propagated at a time (its graph and its gradients, counted twice), plus the head.
    /// </summary>
    public static long Streamed(ModelConfig c, int microBatch, int keepActivations)
    {
        long largest = Enumerable.Range(0, c.NLayer).Max(i => PerLayer(c, GptModel.IsMoeLayer(c, i), microBatch));
        long kept = Enumerable.Range(c.NLayer - keepActivations, keepActivations).Sum(i => PerLayer(c, GptModel.IsMoeLayer(c, i), microBatch));
        return c.NLayer * LayerInput(c, microBatch) + kept + 2 * largest + Head(c, microBatch);
    }
}
