namespace GiantSharp.Offload.Bench;

/// <summary>A few steps of a Real Giant whose training state exceeds this machine's memory, delinked into a disk store.</summary>
/// <param name="Parameters">Parameters of the Real Giant.</param>
/// <param name="TrainingStateBytes">Its full fp32 training state: 16 bytes per parameter.</param>
/// <param name="MemoryTotalBytes">Physical memory of the machine (MemTotal).</param>
/// <param name="StoreBytes">Bytes the disk store held.</param>
/// <param name="PseudoStepSeconds">Seconds of the one resident Pseudo Giant step that gives the optimizer state to delink.</param>
/// <param name="DelinkSeconds">Seconds to delink the Pseudo Giant into the disk store, layer by layer.</param>
/// <param name="StepSeconds">Seconds of each streamed Real Giant step.</param>
/// <param name="Losses">Loss of each streamed step, in nats per token.</param>
/// <param name="PeakResidentBytes">Peak resident set size of the process (VmHWM) at the end.</param>
/// <param name="LastStats">Timings and traffic of the last step.</param>
public sealed record ScaleFigures(long Parameters, long TrainingStateBytes, long MemoryTotalBytes, long StoreBytes,
    double PseudoStepSeconds, double DelinkSeconds, IReadOnlyList<double> StepSeconds, IReadOnlyList<double> Losses,
    long PeakResidentBytes, OffloadStats? LastStats)
{
    /// <summary>Training state over physical memory.</summary>
    public double StateToMemory => TrainingStateBytes / (double)MemoryTotalBytes;
    /// <summary>Peak resident set over training state (target: below 0.25).</summary>
    public double PeakToState => PeakResidentBytes / (double)TrainingStateBytes;

    /// <inheritdoc />
    public override string ToString() =>
        $"{Parameters / 1e9:F2} B params, state {Units.Bytes(TrainingStateBytes)} = {StateToMemory:F2}x memory {Units.Bytes(MemoryTotalBytes)}; " +
        $"store {Units.Bytes(StoreBytes)}; pseudo step {PseudoStepSeconds:F1} s, delink {DelinkSeconds:F1} s; " +
        $"steps [{string.Join(", ", StepSeconds.Select(s => s.ToString("F1")))}] s, losses [{string.Join(", ", Losses.Select(l => l.ToString("F3")))}]; " +
        $"peak RSS {Units.Bytes(PeakResidentBytes)} = {100 * PeakToState:F1}% of state; last step {LastStats}";
}
