using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace GiantSharp.Training;

/// <summary>The next-token objective.</summary>
public static class LanguageModelLoss
{
    /// <summary>Mean cross-entropy in nats per token: logits (B, T, V) against targets (B, T) int64 -> scalar.</summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor targets) =>
        functional.cross_entropy(logits.view(-1, logits.shape[^1]), targets.view(-1));
}
