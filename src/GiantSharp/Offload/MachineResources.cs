using System.Globalization;

namespace GiantSharp.Offload;

/// <summary>What this machine has free for an offload plan, in bytes.</summary>
/// <param name="MemoryAvailableBytes">Memory a new workload can use without swapping (Linux: /proc/meminfo MemAvailable).</param>
/// <param name="DiskFreeBytes">Free bytes on the drive of the disk tier's directory (DriveInfo.AvailableFreeSpace); 0 when there is none.</param>
/// <param name="DiskPath">The directory that was probed, or null.</param>
public sealed record MachineResources(long MemoryAvailableBytes, long DiskFreeBytes, string? DiskPath)
{
    /// <summary>The existing folder whose drive was measured: <see cref="DiskPath"/>, or its nearest existing ancestor when it does not exist yet; null when none was probed.</summary>
    public string? MeasuredAt { get; init; }

    /// <summary>Probes memory and, when <paramref name="dir"/> is given, the drive it is on (its nearest existing ancestor).</summary>
    public static MachineResources Probe(string? dir)
    {
        long disk = 0;
        string? probed = null, existing = null;
        if (!string.IsNullOrWhiteSpace(dir))
        {
            probed = Path.GetFullPath(dir);
            existing = probed;
            while (!Directory.Exists(existing) && Path.GetDirectoryName(existing) is { } up) existing = up;
            disk = new DriveInfo(existing).AvailableFreeSpace;
        }
        return new MachineResources(MemoryAvailable(), disk, probed) { MeasuredAt = existing };
    }

    /// <summary>MemAvailable from /proc/meminfo in bytes; elsewhere the GC's view of available memory.</summary>
    public static long MemoryAvailable() =>
        ProcField("/proc/meminfo", "MemAvailable:") ?? GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>Total physical memory in bytes (/proc/meminfo MemTotal).</summary>
    public static long MemoryTotal() =>
        ProcField("/proc/meminfo", "MemTotal:") ?? GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>Peak resident set size of this process so far, in bytes (/proc/self/status VmHWM); 0 where unknown.</summary>
    public static long PeakResidentBytes() => ProcField("/proc/self/status", "VmHWM:") ?? 0;

    /// <summary>Current resident set size of this process, in bytes (/proc/self/status VmRSS); 0 where unknown.</summary>
    public static long ResidentBytes() => ProcField("/proc/self/status", "VmRSS:") ?? 0;

    private static long? ProcField(string file, string field)
    {
        if (!File.Exists(file)) return null;
        foreach (var line in File.ReadLines(file))
        {
            if (!line.StartsWith(field, StringComparison.Ordinal)) continue;
            var parts = line[field.Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return long.Parse(parts[0], CultureInfo.InvariantCulture) * 1024; // kB
        }
        return null;
    }
}
