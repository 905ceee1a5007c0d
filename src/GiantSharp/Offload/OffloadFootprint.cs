namespace GiantSharp.Offload;

/// <summary>What an offload plan keeps on each tier, for preflight checks and <c>giant info</c>.</summary>
/// <param name="Device">Bytes on the compute device (resident layers, embeddings, head, staging buffers).</param>
/// <param name="Host">Bytes in host memory.</param>
/// <param name="Disk">Bytes in the disk tier's files.</param>
/// <param name="Parameters">Parameters of the model, counting shared ones once.</param>
public sealed record OffloadFootprint(TierBytes Device, TierBytes Host, TierBytes Disk, long Parameters)
{
    /// <summary>The bytes on <paramref name="tier"/>.</summary>
    public TierBytes On(Tier tier) => tier switch { Tier.Device => Device, Tier.Host => Host, _ => Disk };

    /// <summary>Full fp32 training state (16 bytes per parameter), in bytes, wherever it lives.</summary>
    public long TrainingStateBytes => 16 * Parameters;

    /// <summary>Bytes of CPU memory needed when the device is the CPU (device + host), or host only on CUDA.</summary>
    public long MemoryBytes(bool deviceIsCpu) => Host.Total + (deviceIsCpu ? Device.Total : 0);
}
