namespace GiantSharp.Training;

/// <summary>What the trainer reports after an optimizer step.</summary>
/// <param name="Stage">Stage name, e.g. <c>pseudo</c>.</param>
/// <param name="StageIndex">Index of the stage.</param>
/// <param name="Step">Optimizer steps completed over the run (1-based after the first).</param>
/// <param name="TotalSteps">Steps of the whole run.</param>
/// <param name="Loss">Training loss of the step, nats per token.</param>
/// <param name="AuxLoss">Auxiliary (MoE) loss of the step.</param>
/// <param name="Lr">Learning rate used.</param>
/// <param name="GradNorm">Global gradient norm before clipping.</param>
/// <param name="Tokens">Training tokens consumed so far.</param>
/// <param name="TrainSeconds">Seconds spent in training steps so far.</param>
/// <param name="TokensPerSecond">Throughput of this step, tokens per second.</param>
/// <param name="Metrics">Extra diagnostics (MoE load and drops).</param>
public sealed record StepLog(string Stage, int StageIndex, int Step, int TotalSteps, double Loss, double AuxLoss, double Lr,
    double GradNorm, long Tokens, double TrainSeconds, double TokensPerSecond, IReadOnlyDictionary<string, double> Metrics)
{
    /// <summary>Peak resident set size of the process so far (VmHWM), in bytes; 0 where unknown.</summary>
    public long PeakResidentBytes { get; init; }

    /// <summary>Wall time of this step, in seconds (a stage switch's time lands on the step after it).</summary>
    public double StepSeconds { get; init; }

    /// <summary>Model FLOPs utilisation of this step (<see cref="RunStart.Mfu"/>), or null where no matmul peak was given.</summary>
    public double? Mfu { get; init; }

    /// <summary>Estimated seconds left at this step's throughput, from the remaining steps.</summary>
    public double EtaSeconds(double secondsPerStep) => (TotalSteps - Step) * secondsPerStep;
}
