namespace GiantSharp.Training.Steps;

/// <summary>What one optimizer step measured.</summary>
/// <param name="Loss">Mean cross-entropy over the global batch, in nats per token (without auxiliary losses).</param>
/// <param name="AuxLoss">Mean auxiliary loss over the micro-batches (0 for dense models).</param>
/// <param name="GradNorm">Global L2 norm of the gradient before clipping.</param>
/// <param name="Metrics">Extra diagnostics (e.g. MoE load), averaged over micro-batches.</param>
public sealed record StepResult(double Loss, double AuxLoss, double GradNorm, IReadOnlyDictionary<string, double> Metrics)
{
    /// <summary>Whether the optimizer update was applied; an executor may withhold it when the loss or gradient norm is not finite.</summary>
    public bool Applied { get; init; } = true;
}
