using GiantSharp.Errors;
using TorchSharp;
using static TorchSharp.torch;

namespace GiantSharp.Offload;

/// <summary>
/// Refuses a plan the machine cannot hold, before any byte moves: the memory tiers (host, plus the device when
/// it is the CPU) against MemAvailable, the disk tier against the free space of its directory's drive.
/// Activations and libtorch's own buffers are not counted: keep a margin.
/// </summary>
public static class OffloadPreflight
{
    /// <summary>Checks <paramref name="footprint"/> against <paramref name="resources"/>.</summary>
    /// <param name="footprint">Bytes per tier, from <see cref="OffloadPlan.Footprint"/> or <see cref="OffloadAccounting"/>.</param>
    /// <param name="resources">What is free (see <see cref="MachineResources.Probe"/>).</param>
    /// <param name="device">The compute device; on the CPU, device and host share the memory.</param>
    /// <exception cref="ConfigException">A tier does not fit; the message names the tier, both byte counts and a way out.</exception>
    public static void Check(OffloadFootprint footprint, MachineResources resources, Device device)
    {
        bool cpu = device.type == DeviceType.CPU;
        long memory = footprint.MemoryBytes(cpu);
        if (memory > resources.MemoryAvailableBytes)
        {
            var tiers = cpu ? "device + host tiers (CPU memory)" : "host tier";
            throw new ConfigException("offload", $"the {tiers} need {Units.Bytes(memory)} but only {Units.Bytes(resources.MemoryAvailableBytes)} is available (MemAvailable); " +
                "offload more layers (offload.layers) or move params/grads/optimizer to 'disk'");
        }
        if (footprint.Disk.Total > resources.DiskFreeBytes)
            throw new ConfigException("offload.dir", $"the disk tier needs {Units.Bytes(footprint.Disk.Total)} but {resources.DiskPath ?? "(no directory)"} has only {Units.Bytes(resources.DiskFreeBytes)} free; " +
                "choose a larger drive or keep more on 'host'");
    }
}
