using System.Text.Json.Serialization;

namespace GiantSharp.Offload;

/// <summary>
/// Where a tensor lives (ZeRO-Infinity, Rajbhandari et al. 2021, sec. 5: GPU, CPU and NVMe memory).
/// In JSON: <c>"device"</c>, <c>"host"</c> or <c>"disk"</c>.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<Tier>))]
public enum Tier
{
    /// <summary>The compute device (CPU here; CUDA where libtorch-cuda is referenced): no transfer before compute.</summary>
    [JsonStringEnumMemberName("device")] Device,
    /// <summary>Host memory (page-locked when the device is CUDA, so copies to it can run asynchronously).</summary>
    [JsonStringEnumMemberName("host")] Host,
    /// <summary>Memory-mapped files in <see cref="OffloadConfig.Dir"/>, preallocated, one per layer and tensor group (NVMe-style).</summary>
    [JsonStringEnumMemberName("disk")] Disk,
}
