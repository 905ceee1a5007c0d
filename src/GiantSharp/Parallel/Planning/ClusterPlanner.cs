using GiantSharp.Config;
using GiantSharp.Errors;
using GiantSharp.Model;
using GiantSharp.Offload.Planning;

namespace GiantSharp.Parallel.Planning;

/// <summary>
/// Places one stage of a run on a cluster and estimates its step (<c>giant plan</c>), analytically from the shapes (no
/// model is built, so M6-10T's 10 trillion parameters plan in milliseconds). The model of the step, stated so a reader
/// can check each figure:
/// <list type="bullet">
/// <item>Held per rank: every parameter, except that with expert parallelism each rank holds num_experts / N experts of
/// every MoE layer (the paper's partition, M6-10T sec. 4; GiantSharp's engine partitions the expert compute and still
/// replicates the expert weights). fp32 weights 4 B, gradients 4 B (of the replicated part, / N at ZeRO 2), AdamW
/// moments 8 B (of the replicated part, / N at ZeRO 1 and 2; Rajbhandari et al. 2020).</item>
/// <item>Placement: resident when activations (<see cref="ActivationEstimate.Resident"/>) and state fit the device;
/// else streamed: the device keeps the streamed activations (<see cref="ActivationEstimate.Streamed"/>, one kept
/// layer), two staging slots of a block's weights and gradients, then weights, gradients and moments while they fit;
/// the rest spills to host memory, moments first, then gradients, then weights (ZeRO-Infinity's order), and beyond
/// the host to disk.</item>
/// <item>Traffic per optimizer step with m micro-batches per rank: off-device weights cross the device-host link twice
/// per micro-batch (forward, and the backward's recompute), off-device gradients are written per micro-batch and read
/// back to accumulate (2m - 1), and parameters whose moments are off the device have their AdamW step on the host
/// (gradient down, weight up: 8 B each). Disk carries its share of the same plus reading and writing its moments
/// (and weights) once for the update.</item>
/// <item>Compute: tokens per rank x training FLOPs per token (<see cref="ModelSize.FlopsPerToken"/>) / (device FLOP/s x
/// MFU), x 4/3 when streaming (the forward pass runs again in the backward). Transfers overlap compute (prefetch):
/// the slowest of compute, link and disk sets the pace.</item>
/// <item>Communication, not overlapped: ring collectives move (N-1)/N of a payload per rank per pass; gradient
/// averaging of the replicated parameters costs 2 passes of their fp32 gradients (all-reduce at ZeRO 0; reduce-scatter
/// then all-gather of weights at ZeRO 2), 3 at ZeRO 1 (all-reduce, then all-gather of weights). Expert parallelism
/// adds two all-to-alls (dispatch, combine) of the capacity-padded (tokens x top-k x prototypes x capacity_factor, C)
/// fp32 buffer per MoE layer, per forward and backward pass (and the recompute when streaming).</item>
/// </list>
/// </summary>
public static class ClusterPlanner
{
    private const int WeightBytes = 4, GradBytes = 4, MomentBytes = 8;

    /// <summary>The plan of <paramref name="stage"/> of a model of shape <paramref name="model"/> on <paramref name="cluster"/>.</summary>
    /// <param name="model">Model shape (vocab_size resolved: 0 counts no embedding).</param>
    /// <param name="stage">Sharing, micro_batch and global_batch of the stage.</param>
    /// <param name="cluster">Ranks, memories, bandwidths, ZeRO stage, expert parallelism.</param>
    /// <exception cref="ConfigException">The cluster is invalid, or expert parallelism asked for where num_experts does not divide by the ranks.</exception>
    public static RankPlan Plan(ModelConfig model, StageConfig stage, ClusterSpec cluster)
    {
        cluster.Validate();
        int n = cluster.Ranks, blocks = stage.Sharing.UniqueBlocks(model.NLayer);
        var size = ModelSize.Of(model, blocks);
        bool expertParallel = cluster.ExpertParallel && model.Moe is not null && n > 1;
        if (expertParallel && model.Moe!.NumExperts % n != 0)
            throw new ConfigException("--expert-parallel", $"num_experts {model.Moe.NumExperts} must divide by the ranks ({n})");

        long expertsStored = Enumerable.Range(0, blocks).Where(b => GptModel.IsMoeLayer(model, b)).Sum(_ => model.Moe!.NumExperts * ModelSize.ExpertParameters(model));
        long local = expertParallel ? expertsStored / n : 0;                          // this rank's own experts
        long replicated = size.UniqueParameters - (expertParallel ? expertsStored : 0);
        long held = replicated + local;
        long weights = WeightBytes * held;
        long grads = GradBytes * (Shard(replicated, n, cluster.ZeroStage >= 2) + local);
        long moments = MomentBytes * (Shard(replicated, n, cluster.ZeroStage >= 1) + local);

        long rowsPerRank = Math.Max(1, stage.GlobalBatch / n);
        int microRows = (int)Math.Min(stage.MicroBatch, rowsPerRank);
        long microBatches = (rowsPerRank + microRows - 1) / microRows;
        long state = weights + grads + moments;
        long residentActivations = ActivationEstimate.Resident(model, microRows);
        bool streams = residentActivations + state > cluster.DeviceMemory;
        long activations = streams ? ActivationEstimate.Streamed(model, microRows, 1) : residentActivations;

        long device, host, disk;
        long offW = 0, offG = 0, offM = 0, diskW = 0, diskG = 0, diskM = 0;
        if (!streams) { device = activations + state; host = disk = 0; }
        else
        {
            long staging = 2L * (WeightBytes + GradBytes) * (held / blocks);
            long room = Math.Max(0, cluster.DeviceMemory - activations - staging);
            long onW = Math.Min(weights, room); room -= onW;
            long onG = Math.Min(grads, room); room -= onG;
            long onM = Math.Min(moments, room);
            device = activations + staging + onW + onG + onM;
            (offW, offG, offM) = (weights - onW, grads - onG, moments - onM);
            long hostRoom = cluster.HostMemory;
            long hostM = Math.Min(offM, hostRoom); hostRoom -= hostM;
            long hostG = Math.Min(offG, hostRoom); hostRoom -= hostG;
            long hostW = Math.Min(offW, hostRoom);
            (diskW, diskG, diskM) = (offW - hostW, offG - hostG, offM - hostM);
            host = hostM + hostG + hostW;
            disk = diskW + diskG + diskM;
        }
        bool fits = device <= cluster.DeviceMemory && disk <= cluster.Disk;

        double tokensPerRank = (double)stage.GlobalBatch * model.SeqLen / n;
        double compute = tokensPerRank * size.FlopsPerToken / (cluster.DeviceFlops * cluster.Mfu) * (streams ? 4.0 / 3 : 1);
        double linkBytes = 2.0 * microBatches * offW + (2.0 * microBatches - 1) * offG + 8.0 * (offM / MomentBytes);
        double diskBytes = 2.0 * microBatches * diskW + (2.0 * microBatches - 1) * diskG + 2.0 * diskM + 2.0 * diskW;
        double hostSeconds = linkBytes / cluster.HostBandwidth, diskSeconds = diskBytes / cluster.DiskBandwidth;

        double ring = (n - 1.0) / n;
        long gradientBytes = (long)(ring * GradBytes * replicated * (cluster.ZeroStage == 1 ? 3 : 2));
        long expertBytes = 0;
        if (expertParallel)
        {
            int moeLayers = Enumerable.Range(0, model.NLayer).Count(i => GptModel.IsMoeLayer(model, i));
            double buffer = (double)microRows * model.SeqLen * model.Moe!.AssignmentsPerToken * model.Moe.CapacityFactor * model.DModel * 4;
            expertBytes = (long)(ring * buffer * 2 * (streams ? 3 : 2) * moeLayers * microBatches);
        }
        double comm = (gradientBytes + expertBytes) / cluster.NetworkBandwidth;
        double step = Math.Max(compute, Math.Max(hostSeconds, diskSeconds)) + comm;
        return new RankPlan(stage.Name, blocks, held, weights, grads, moments, activations, device, host, disk, fits, streams,
            compute, hostSeconds, diskSeconds, gradientBytes, expertBytes, comm, step, (long)stage.GlobalBatch * model.SeqLen);
    }

    private static long Shard(long parameters, int ranks, bool sharded) => sharded ? (parameters + ranks - 1) / ranks : parameters;
}
