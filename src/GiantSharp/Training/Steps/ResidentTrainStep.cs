using GiantSharp.Model;
using GiantSharp.Training.Optim;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace GiantSharp.Training.Steps;

/// <summary>
/// The plain step: all parameters, gradients and optimizer state stay where the model is.
/// Cross-entropy on next-token targets; auxiliary losses (MoE) are added to the objective.
/// </summary>
public sealed class ResidentTrainStep : ITrainStep
{
    /// <inheritdoc />
    public StepResult Step(GptModel model, AdamW optimizer, IReadOnlyList<MicroBatch> microBatches, double lr, double gradClip)
    {
        using var scope = NewDisposeScope();
        var (loss, aux, metrics) = ForwardBackward(model, microBatches);
        var gradNorm = GradientClipping.ClipGlobalNorm(model.parameters(), gradClip);
        if (!double.IsFinite(loss) || !double.IsFinite(gradNorm))             // a NaN update would poison weights and moments
            return new StepResult(loss, aux, gradNorm, metrics) { Applied = false };
        optimizer.Step(model.named_parameters(), lr);
        return new StepResult(loss, aux, gradNorm, metrics);
    }

    /// <summary>
    /// Zeroes the gradients, then runs forward and backward over every micro-batch, accumulating into the
    /// parameters' gradients the gradient of the mean objective (loss scaled by 1/micro-batches).
    /// Used by every step that computes where the model is (this one, and the bf16 compute copy of the bench).
    /// </summary>
    /// <returns>Mean cross-entropy (nats per token), mean auxiliary loss, and averaged diagnostics.</returns>
    public static (double Loss, double AuxLoss, IReadOnlyDictionary<string, double> Metrics) ForwardBackward(GptModel model, IReadOnlyList<MicroBatch> microBatches)
    {
        model.zero_grad();
        double lossSum = 0, auxSum = 0;
        var metrics = new MetricsAverager();
        foreach (var mb in microBatches)
        {
            using var inner = NewDisposeScope();
            var logits = model.call(mb.X);                                               // (B, T, V)
            var loss = LanguageModelLoss.CrossEntropy(logits, mb.Y);                     // scalar
            var aux = AuxiliaryLosses.Take(model);
            var objective = aux is null ? loss : loss + aux;
            (objective / microBatches.Count).backward();
            lossSum += loss.ToDouble();                                                 // any dtype (bf16 too)
            if (aux is not null) auxSum += aux.ToDouble();
            metrics.Add(AuxiliaryLosses.TakeMetrics(model));
        }
        return (lossSum / microBatches.Count, auxSum / microBatches.Count, metrics.Mean());
    }

    /// <inheritdoc />
    public void Dispose() { }
}
