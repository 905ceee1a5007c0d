using System.Runtime.InteropServices;

namespace GiantSharp.Offload;

/// <summary>
/// Sets glibc's malloc policy for the kind of work a stage does. By default glibc serves blocks above its mmap
/// threshold (dynamic, at most 32 MiB) each from a fresh mapping and unmaps them on free, and trims the heap's top
/// above 128 KiB: every large tensor of a step (activations, gradients, the (B*T, V) logits) then page-faults its
/// memory in again, step after step. Measured on gpt2-small-cpu (docs/benchmarks.md), that costs as much time as the
/// arithmetic: bf16 MFU 0.38 by default against 0.59 with freed memory kept, fp32 0.68 against 0.81.
/// <list type="bullet">
/// <item>Resident stages keep freed memory in the heap (<see cref="ForResident"/>): the resident set grows to the
/// step's peak working set once and stays there, which is what a resident plan accounts for anyway.</item>
/// <item>Streamed stages under a memory budget measured as resident set size (<see cref="ForStreaming"/>) put every
/// block above 1 MiB in its own mapping, returned on free, and hand the heap back: peak RSS of m6-budget's streamed
/// stage 1,250 MB at 1 MiB against 1,385 MB with glibc's default.</item>
/// <item>Streamed stages without a budget get glibc's own limits back (<see cref="ForUnbudgetedStreaming"/>).</item>
/// </list>
/// Does nothing off glibc (musl and others), and nothing where the user set malloc's own tunables
/// (<c>GLIBC_TUNABLES=glibc.malloc.…</c>): theirs win.
/// </summary>
public static class HostAllocator
{
    /// <summary>The mmap threshold while layers stream under a budget, in bytes.</summary>
    public const int StreamingThresholdBytes = 1 << 20;
    /// <summary>The mmap and trim thresholds while the model is resident, in bytes: blocks up to 2 GiB come from the heap and stay there.</summary>
    public const int KeepHeapBytes = int.MaxValue;
    /// <summary>glibc's largest dynamic mmap threshold on 64-bit, in bytes.</summary>
    public const int DefaultMaxThresholdBytes = 32 << 20;
    /// <summary>glibc's default trim threshold, in bytes.</summary>
    public const int DefaultTrimThresholdBytes = 128 << 10;

    private const int MTrimThreshold = -1, MMmapThreshold = -3;

    private static readonly bool s_userTuned = Environment.GetEnvironmentVariable("GLIBC_TUNABLES")?.Contains("glibc.malloc.") == true;

    /// <summary>Before a resident stage: freed blocks stay in the heap (no page faults for the next step's tensors).</summary>
    /// <returns>Whether glibc took the setting.</returns>
    public static bool ForResident() => Set(MMmapThreshold, KeepHeapBytes) & Set(MTrimThreshold, KeepHeapBytes);

    /// <summary>Before a streamed stage under a budget: small mmap threshold, default trimming, and free heap memory back to the system.</summary>
    /// <returns>Whether glibc took the setting.</returns>
    public static bool ForStreaming() => Set(MMmapThreshold, StreamingThresholdBytes) & Set(MTrimThreshold, DefaultTrimThresholdBytes) && Trim();

    /// <summary>Before a streamed stage without a budget: glibc's largest dynamic threshold and its default trimming, heap handed back.</summary>
    /// <returns>Whether glibc took the setting.</returns>
    public static bool ForUnbudgetedStreaming() => Set(MMmapThreshold, DefaultMaxThresholdBytes) & Set(MTrimThreshold, DefaultTrimThresholdBytes) && Trim();

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

    private static bool Set(int param, int value)
    {
        if (!OperatingSystem.IsLinux() || s_userTuned) return false;
        try { return mallopt(param, value) == 1; }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return false; }   // musl and others
    }

    private static bool Trim()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try { malloc_trim(0); return true; }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return false; }
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int mallopt(int param, int value);

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int malloc_trim(nuint pad);
}
