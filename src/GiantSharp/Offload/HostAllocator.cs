using System.Runtime.InteropServices;

namespace GiantSharp.Offload;

/// <summary>
/// Tunes glibc's malloc for a memory budget measured as resident set size. glibc raises its mmap threshold each
/// time a large block is freed (up to 32 MiB), after which blocks of that size come from the heap and may stay in
/// the resident set when freed; a streamed step frees and allocates such blocks every layer. While layers stream
/// under a budget, the threshold is fixed at 1 MiB (every larger block in its own mapping, returned on free) and
/// the heap's free memory is handed back (malloc_trim); while the model is resident it is fixed at 32 MiB, the most
/// the dynamic threshold reaches, so the resident step does not pay a page fault per fresh block. Measured on
/// m6-budget's streamed stage, peak RSS: 1,385 MB with glibc's default, 1,250 MB at 1 MiB; on its resident Pseudo
/// stage, CPU time per step: 2.4 s at 1 MiB against 1.6 s by default (docs/benchmarks.md). Does nothing off glibc.
/// </summary>
public static class HostAllocator
{
    /// <summary>The threshold while layers stream under a budget, in bytes.</summary>
    public const int StreamingThresholdBytes = 1 << 20;
    /// <summary>The threshold while the model is resident, in bytes (glibc's dynamic maximum on 64-bit).</summary>
    public const int ResidentThresholdBytes = 32 << 20;

    /// <summary>Before a streamed stage under a budget: small mmap threshold, and free heap memory back to the system.</summary>
    /// <returns>Whether glibc took the setting.</returns>
    public static bool ForStreaming() => Set(StreamingThresholdBytes) && Trim();

    /// <summary>Before a resident stage under a budget: the largest fixed threshold.</summary>
    /// <returns>Whether glibc took the setting.</returns>
    public static bool ForResident() => Set(ResidentThresholdBytes);

    /// <summary>
    /// After a stage switch under a budget (delinking frees the Pseudo Giant's resident state): runs the finalizers of
    /// tensors whose handles were dropped, then hands the heap's free memory back (malloc_trim), so the next stage's
    /// resident set starts from what it holds.
    /// </summary>
    /// <returns>Whether glibc trimmed.</returns>
    public static bool Release()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return Trim();
    }

    private static bool Set(int threshold)
    {
        if (!OperatingSystem.IsLinux()) return false;
        try { return mallopt(-3 /* M_MMAP_THRESHOLD */, threshold) == 1; }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return false; }   // musl and others
    }

    private static bool Trim()
    {
        try { malloc_trim(0); return true; }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return false; }
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int mallopt(int param, int value);

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int malloc_trim(nuint pad);
}
