namespace GiantSharp.Bench;

/// <summary>Training throughput of one precision, measured by <see cref="TrainBench"/>.</summary>
/// <param name="Precision">What was computed in which format.</param>
/// <param name="TokensPerStep">Tokens per optimizer step: micro-batches * B * T.</param>
/// <param name="StepSeconds">Median wall time of the timed optimizer steps, in seconds.</param>
/// <param name="FlopsPerToken">Model FLOPs per trained token (<see cref="TrainingFlops.PerToken"/>).</param>
/// <param name="PeakFlopsPerSecond">The measured matmul peak of this precision, in FLOP/s.</param>
/// <param name="Loss">Cross-entropy of the last timed step, in nats per token (a sanity check: about ln V on random tokens).</param>
/// <param name="OthersCpuShare">Share of the machine's CPU time that other processes used during the timed steps, in [0, 1]
/// (<see cref="CpuUsage"/>; NaN where unknown). Above a few percent the figures understate the machine.</param>
public sealed record TrainBenchResult(BenchPrecision Precision, long TokensPerStep, double StepSeconds, double FlopsPerToken, double PeakFlopsPerSecond, double Loss, double OthersCpuShare = double.NaN)
{
    /// <summary>Trained tokens per second.</summary>
    public double TokensPerSecond => TokensPerStep / StepSeconds;

    /// <summary>Model FLOPs per second: tokens/s * FLOPs per token.</summary>
    public double ModelFlopsPerSecond => TokensPerSecond * FlopsPerToken;

    /// <summary>Model FLOPs utilisation: model FLOP/s over the measured matmul peak of the same precision.</summary>
    public double Mfu => ModelFlopsPerSecond / PeakFlopsPerSecond;
}
