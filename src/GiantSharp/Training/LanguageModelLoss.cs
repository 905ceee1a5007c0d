using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace GiantSharp.Training;

/// <summary>The next-token objective.</summary>
public static class LanguageModelLoss
{
    /// <summary>
    /// Mean cross-entropy in nats per token: logits (B, T, V) against targets (B, T) int64 -> float32 scalar. Logits of a
    /// 16-bit type (bf16 mixed precision) are cast to float32 first, so the log-softmax and the loss are fp32 (as autocast does).
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor targets)
    {
        var flat = logits.view(-1, logits.shape[^1]);                                 // (B*T, V)
        if (flat.dtype is ScalarType.BFloat16 or ScalarType.Float16) flat = flat.to(ScalarType.Float32);
        return functional.cross_entropy(flat, targets.view(-1));
    }
}
