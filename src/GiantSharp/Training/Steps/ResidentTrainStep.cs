using GiantSharp.Model;
using GiantSharp.Training.Optim;
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
            lossSum += loss.item<float>();
            if (aux is not null) auxSum += aux.item<float>();
            metrics.Add(AuxiliaryLosses.TakeMetrics(model));
        }
        var gradNorm = GradientClipping.ClipGlobalNorm(model.parameters(), gradClip);
        optimizer.Step(model.named_parameters(), lr);
        return new StepResult(lossSum / microBatches.Count, auxSum / microBatches.Count, gradNorm, metrics.Mean());
    }

    /// <inheritdoc />
    public void Dispose() { }
}
