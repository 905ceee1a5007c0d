namespace GiantSharp.Offload;

/// <summary>Timings and traffic of one <see cref="LayerStreamedTrainStep"/> step.</summary>
/// <param name="StepSeconds">Wall time of the whole step, in seconds.</param>
/// <param name="OptimizerSeconds">Wall time of the clipping and per-layer AdamW phase (including its tier I/O), in seconds.</param>
/// <param name="TransferSeconds">Time the background worker spent fetching layers and writing gradients during forward and backward, in seconds.</param>
/// <param name="StallSeconds">Time compute waited for those transfers, in seconds.</param>
/// <param name="BytesFetched">Parameter bytes fetched to the device.</param>
/// <param name="BytesWritten">Gradient bytes sent to their tier.</param>
public sealed record OffloadStats(double StepSeconds, double OptimizerSeconds, double TransferSeconds, double StallSeconds, long BytesFetched, long BytesWritten)
{
    /// <summary>Step metric (metrics.jsonl, TensorBoard): <see cref="TransferSeconds"/> of the forward and backward passes.</summary>
    public const string TransferKey = "offload/transfer_seconds";
    /// <summary>Step metric: <see cref="StallSeconds"/>.</summary>
    public const string StallKey = "offload/stall_seconds";
    /// <summary>Step metric: <see cref="HiddenFraction"/>.</summary>
    public const string HiddenKey = "offload/hidden_share";

    /// <summary>Share of transfer time hidden behind compute: 1 - stall / transfer (1 when nothing was transferred).</summary>
    public double HiddenFraction => TransferSeconds <= 0 ? 1.0 : Math.Clamp(1.0 - StallSeconds / TransferSeconds, 0.0, 1.0);
}
