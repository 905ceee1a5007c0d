using GiantSharp.Bench;

namespace GiantSharp.Offload.Bench;

/// <summary>Step times of one model trained resident, streamed without offloading, and streamed with offloading.</summary>
/// <param name="Label">What was offloaded where, e.g. <c>params=host grads=host optimizer=host layers=all prefetch=1</c>.</param>
/// <param name="Resident">Seconds per step of <see cref="Training.Steps.ResidentTrainStep"/>.</param>
/// <param name="Recompute">Seconds per step of the streamed step with no layer offloaded (its per-layer recompute alone).</param>
/// <param name="Offload">Seconds per step of the streamed step with the offload configuration.</param>
/// <param name="TransferSeconds">Background transfer time during forward and backward, summed over the timed steps, in seconds.</param>
/// <param name="StallSeconds">Time compute waited for those transfers, summed over the timed steps, in seconds.</param>
/// <param name="Optimizer">Seconds per step of the offloaded step's clipping and per-layer AdamW phase (included in <paramref name="Offload"/>).</param>
public sealed record StepTimeFigures(string Label, StepTiming Resident, StepTiming Recompute, StepTiming Offload,
    double TransferSeconds, double StallSeconds, StepTiming Optimizer)
{
    /// <summary>Offloaded over resident step time, by medians.</summary>
    public double RatioToResident => Offload.Median / Resident.Median;
    /// <summary>Offloaded over resident step time, by best steps.</summary>
    public double BestRatioToResident => Offload.Best / Resident.Best;
    /// <summary>Offloaded over streamed-without-offload step time, by medians: the cost of moving bytes alone.</summary>
    public double RatioToRecompute => Offload.Median / Recompute.Median;
    /// <summary>Offloaded over streamed-without-offload step time, by best steps.</summary>
    public double BestRatioToRecompute => Offload.Best / Recompute.Best;
    /// <summary>Share of transfer time hidden behind compute by prefetching: 1 - stall / transfer.</summary>
    public double HiddenFraction => TransferSeconds <= 0 ? 1.0 : Math.Clamp(1.0 - StallSeconds / TransferSeconds, 0.0, 1.0);

    /// <inheritdoc />
    public override string ToString() =>
        $"{Label}: resident {Resident}, streamed without offload {Recompute}, offloaded {Offload}; " +
        $"offloaded/resident x{RatioToResident:F2} (best x{BestRatioToResident:F2}), offloaded/streamed x{RatioToRecompute:F2} (best x{BestRatioToRecompute:F2}); " +
        $"optimizer phase {Optimizer}; transfer {TransferSeconds:F3} s, stall {StallSeconds:F3} s, hidden {100 * HiddenFraction:F1}%";
}
