namespace GiantSharp.Parallel.Planning;

/// <summary>
/// What one rank holds and spends in one optimizer step of one stage, from <see cref="ClusterPlanner.Plan"/>. Every rank
/// is alike (data parallelism; expert parallelism gives each rank its own num_experts / N experts of every MoE layer).
/// Bytes are per rank; seconds per optimizer step.
/// </summary>
/// <param name="Stage">Stage name (e.g. pseudo, real).</param>
/// <param name="UniqueBlocks">Blocks stored (1 for the Pseudo Giant, n_layer for the Real Giant).</param>
/// <param name="Parameters">Parameters this rank holds (all of them, or its experts only under expert parallelism).</param>
/// <param name="Weights">fp32 weights held, bytes (4 per parameter held).</param>
/// <param name="Gradients">fp32 gradients held, bytes (sharded by N at ZeRO 2).</param>
/// <param name="Moments">AdamW m and v held, bytes (sharded by N at ZeRO 1 and 2).</param>
/// <param name="Activations">Activations of one micro-batch, bytes (every layer's graph when resident; the layer inputs and one layer's graph when streamed).</param>
/// <param name="Device">Bytes placed on the device: activations first, then weights, gradients, moments while they fit.</param>
/// <param name="Host">Bytes spilled to host memory (moments first, then gradients, then weights, as ZeRO-Infinity does).</param>
/// <param name="Disk">Bytes spilled further to disk.</param>
/// <param name="Fits">Whether device, host and disk together hold it.</param>
/// <param name="Streams">Whether any state lives off the device (the step streams it layer by layer and recomputes the forward pass).</param>
/// <param name="ComputeSeconds">Model FLOPs of this rank's tokens / (device FLOP/s x MFU); x 4/3 when streaming (recomputed forward).</param>
/// <param name="HostSeconds">Device-host traffic of offloaded state / host bandwidth.</param>
/// <param name="DiskSeconds">Disk traffic / disk bandwidth.</param>
/// <param name="GradientBytes">Bytes each rank sends for gradient averaging and weight gathering (ring collectives).</param>
/// <param name="ExpertBytes">Bytes each rank sends in the MoE all-to-alls (expert parallelism).</param>
/// <param name="CommSeconds">(GradientBytes + ExpertBytes) / network bandwidth, not overlapped with compute.</param>
/// <param name="StepSeconds">max(compute, host, disk) + communication: transfers hidden by prefetch where compute is longer.</param>
/// <param name="TokensPerStep">Tokens of the global batch (all ranks).</param>
public sealed record RankPlan(
    string Stage, int UniqueBlocks, long Parameters, long Weights, long Gradients, long Moments, long Activations,
    long Device, long Host, long Disk, bool Fits, bool Streams,
    double ComputeSeconds, double HostSeconds, double DiskSeconds, long GradientBytes, long ExpertBytes, double CommSeconds,
    double StepSeconds, long TokensPerStep)
{
    /// <summary>Training tokens per second of the whole cluster.</summary>
    public double TokensPerSecond => TokensPerStep / StepSeconds;
}
