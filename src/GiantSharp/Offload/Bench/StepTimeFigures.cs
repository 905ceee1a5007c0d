namespace GiantSharp.Offload.Bench;

/// <summary>Step times of one model trained resident, streamed without offloading, and streamed with offloading.</summary>
/// <param name="Label">What was offloaded where, e.g. <c>params=host grads=host optimizer=host layers=all</c>.</param>
/// <param name="ResidentSeconds">Median seconds per step of <see cref="Training.Steps.ResidentTrainStep"/>.</param>
/// <param name="RecomputeSeconds">Median seconds per step of the streamed step with no layer offloaded (its per-layer recompute alone).</param>
/// <param name="OffloadSeconds">Median seconds per step of the streamed step with the offload configuration.</param>
/// <param name="TransferSeconds">Background transfer time during forward and backward, summed over the timed steps, in seconds.</param>
/// <param name="StallSeconds">Time compute waited for those transfers, summed over the timed steps, in seconds.</param>
/// <param name="OptimizerSeconds">Median seconds per step of the offloaded step's clipping and per-layer AdamW phase.</param>
public sealed record StepTimeFigures(string Label, double ResidentSeconds, double RecomputeSeconds, double OffloadSeconds,
    double TransferSeconds, double StallSeconds, double OptimizerSeconds)
{
    /// <summary>Offloaded step time over resident step time.</summary>
    public double RatioToResident => OffloadSeconds / ResidentSeconds;
    /// <summary>Offloaded step time over the streamed step without offloading: the cost of moving bytes alone.</summary>
    public double RatioToRecompute => OffloadSeconds / RecomputeSeconds;
    /// <summary>Share of transfer time hidden behind compute by prefetching: 1 - stall / transfer.</summary>
    public double HiddenFraction => TransferSeconds <= 0 ? 1.0 : Math.Clamp(1.0 - StallSeconds / TransferSeconds, 0.0, 1.0);

    /// <inheritdoc />
    public override string ToString() =>
        $"{Label}: resident {ResidentSeconds:F3} s/step, streamed (no offload) {RecomputeSeconds:F3}, offloaded {OffloadSeconds:F3} " +
        $"(x{RatioToResident:F2} resident, x{RatioToRecompute:F2} streamed); optimizer phase {OptimizerSeconds:F3} s; " +
        $"transfer {TransferSeconds:F3} s, stall {StallSeconds:F3} s, hidden {100 * HiddenFraction:F1}%";
}
