using GiantSharp.Errors;

namespace GiantSharp.Parallel.Planning;

/// <summary>
/// A cluster for <see cref="ClusterPlanner"/>: N identical ranks (one accelerator each), each with its own share of host
/// memory and disk, and the bandwidths that carry offloaded state and gradients. Sizes in bytes, bandwidths in bytes per
/// second, compute in FLOP/s. Defaults describe the paper's machines (M6-10T, Lin et al. 2021, sec. 4: 512 V100-32GB):
/// 32 GiB of device memory, 125 TFLOP/s fp16 tensor-core peak, PCIe 3 at 12 GB/s, 96 GiB of host memory and 1 TB of NVMe
/// per GPU at 2 GB/s, 100 Gbit/s between nodes (12.5 GB/s); all but the rank count and shapes are assumptions to override.
/// </summary>
public sealed record ClusterSpec
{
    /// <summary>Ranks (processes, one device each).</summary>
    public int Ranks { get; init; } = 512;
    /// <summary>Device memory per rank, bytes.</summary>
    public long DeviceMemory { get; init; } = 32L << 30;
    /// <summary>Host memory available to one rank, bytes.</summary>
    public long HostMemory { get; init; } = 96L << 30;
    /// <summary>Disk (NVMe) available to one rank, bytes.</summary>
    public long Disk { get; init; } = 1_000_000_000_000;
    /// <summary>Peak FLOP/s of one device in the training precision.</summary>
    public double DeviceFlops { get; init; } = 125e12;
    /// <summary>Share of <see cref="DeviceFlops"/> a step achieves (model FLOPs utilisation), in (0, 1].</summary>
    public double Mfu { get; init; } = 0.3;
    /// <summary>Device-host bandwidth per rank (PCIe), bytes/s.</summary>
    public double HostBandwidth { get; init; } = 12e9;
    /// <summary>Disk read/write bandwidth per rank, bytes/s.</summary>
    public double DiskBandwidth { get; init; } = 2e9;
    /// <summary>Network bandwidth per rank for collectives, bytes/s.</summary>
    public double NetworkBandwidth { get; init; } = 12.5e9;
    /// <summary>ZeRO stage 0, 1 or 2 (<see cref="ParallelConfig.ZeroStage"/>).</summary>
    public int ZeroStage { get; init; }
    /// <summary>Partition every MoE layer's experts over the ranks (each rank holds and computes num_experts / N of them).</summary>
    public bool ExpertParallel { get; init; }

    /// <summary>Checks the fields.</summary>
    /// <exception cref="ConfigException">The first bad field, named by its command-line option.</exception>
    public void Validate()
    {
        if (Ranks < 1) throw new ConfigException("--ranks", $"must be >= 1, got {Ranks}");
        if (DeviceMemory <= 0) throw new ConfigException("--device-memory", "must be > 0");
        if (HostMemory < 0) throw new ConfigException("--host-memory", "must be >= 0");
        if (Disk < 0) throw new ConfigException("--disk", "must be >= 0");
        Positive(DeviceFlops, "--device-tflops");
        if (!(Mfu > 0 && Mfu <= 1)) throw new ConfigException("--mfu", $"must be in (0, 1], got {Mfu}");
        Positive(HostBandwidth, "--host-bandwidth");
        Positive(DiskBandwidth, "--disk-bandwidth");
        Positive(NetworkBandwidth, "--network");
        if (ZeroStage is < 0 or > 2) throw new ConfigException("--zero-stage", $"must be 0, 1 or 2, got {ZeroStage}");
    }

    private static void Positive(double value, string key)
    {
        if (!(value > 0) || double.IsInfinity(value)) throw new ConfigException(key, $"must be > 0, got {value}");
    }
}
