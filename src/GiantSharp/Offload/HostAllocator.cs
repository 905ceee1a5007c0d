using System.Runtime.InteropServices;

namespace GiantSharp.Offload;

/// <summary>
/// Makes freed host memory leave the process, so a memory budget measured as resident set size holds. glibc's malloc
/// raises its mmap threshold each time a large block is freed (up to 32 MiB), after which blocks of that size come
/// from the heap and stay in the resident set when freed; streaming layers frees and allocates such blocks every
/// step. Fixing the threshold (mallopt M_MMAP_THRESHOLD) keeps every block of at least 1 MiB in its own mapping,
/// returned to the system on free. Measured on the m6-budget preset's streamed stage: peak RSS 1,385 MB with
/// glibc's default, 1,250 MB with the threshold fixed (docs/benchmarks.md).
/// </summary>
public static class HostAllocator
{
    /// <summary>Threshold above which allocations get their own mapping, in bytes.</summary>
    public const int MmapThresholdBytes = 1 << 20;

    private static int _applied;

    /// <summary>Fixes glibc's mmap threshold (once per process); does nothing off Linux or off glibc.</summary>
    /// <returns>Whether the setting took effect (now or earlier).</returns>
    public static bool ReturnFreedMemory()
    {
        if (!OperatingSystem.IsLinux()) return false;
        if (Volatile.Read(ref _applied) == 1) return true;
        try
        {
            if (mallopt(-3 /* M_MMAP_THRESHOLD */, MmapThresholdBytes) != 1) return false;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;                                                   // musl and others: no mallopt
        }
        Volatile.Write(ref _applied, 1);
        return true;
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int mallopt(int param, int value);
}
