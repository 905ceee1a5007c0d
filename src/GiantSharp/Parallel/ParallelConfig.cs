using GiantSharp.Errors;

namespace GiantSharp.Parallel;

/// <summary>
/// How a run launched on several ranks (<c>mpirun -np N giant train CONFIG</c>) shares its work (JSON key <c>parallel</c>).
/// With one rank it changes nothing. Data parallelism is always on when N &gt; 1: each rank takes its share of every
/// step's global batch and gradients are averaged.
/// </summary>
public sealed record ParallelConfig
{
    /// <summary>
    /// ZeRO stage (Rajbhandari et al. 2020, sec. 5): 0 replicates AdamW state on every rank (gradients all-reduced);
    /// 1 shards the AdamW moments over the ranks (gradients all-reduced, each rank updates its shard, weights all-gathered);
    /// 2 also shards the reduced gradients (reduce-scatter instead of all-reduce).
    /// </summary>
    public int ZeroStage { get; init; }
    /// <summary>
    /// Expert parallelism for MoE models (<see cref="ExpertParallel"/>): the experts of every MoE layer are computed
    /// partitioned over the ranks, tokens travelling to them and back by all-to-all. num_experts must divide by the ranks.
    /// </summary>
    public bool ExpertParallel { get; init; }
    /// <summary>Size of one gradient all-reduce bucket, in MiB (gradients are flattened into buckets of about this size).</summary>
    public double BucketMb { get; init; } = 25;

    /// <summary>Checks the fields.</summary>
    /// <exception cref="ConfigException">The first bad field, by key.</exception>
    public void Validate()
    {
        if (ZeroStage is < 0 or > 2) throw new ConfigException("parallel.zero_stage", $"must be 0, 1 or 2, got {ZeroStage}");
        if (!(BucketMb > 0) || double.IsInfinity(BucketMb)) throw new ConfigException("parallel.bucket_mb", $"must be > 0 MiB, got {BucketMb}");
    }
}
