namespace GiantSharp.MixedPrecision;

/// <summary>
/// What the machine offers for bf16 matrix products: the CPU's flags (from /proc/cpuinfo) and, where a CUDA device is
/// used, its compute capability. Tests build one with injected flags.
/// </summary>
/// <param name="CpuFlags">The CPU's feature flags (e.g. avx512_bf16, amx_bf16); empty when unknown.</param>
/// <param name="CudaCapabilityMajor">Major CUDA compute capability of the device, or null when unknown or no CUDA.</param>
public sealed record Bf16Hardware(IReadOnlySet<string> CpuFlags, int? CudaCapabilityMajor = null)
{
    /// <summary>The CPU flags that mean bf16 matrix kernels (AVX512-BF16 dot products, AMX tiles).</summary>
    public static readonly IReadOnlyList<string> Bf16CpuFlags = ["avx512_bf16", "amx_bf16"];

    /// <summary>Which of <see cref="Bf16CpuFlags"/> the CPU has.</summary>
    public IReadOnlyList<string> CpuBf16Flags => Bf16CpuFlags.Where(CpuFlags.Contains).ToList();

    /// <summary>This machine: the flags of the first processor in /proc/cpuinfo (none where that file is missing).</summary>
    public static Bf16Hardware Detect() => new(ReadCpuFlags("/proc/cpuinfo"));

    /// <summary>The flags of the first <c>flags</c> line of a cpuinfo file; empty when it is missing or unreadable.</summary>
    public static IReadOnlySet<string> ReadCpuFlags(string path)
    {
        try
        {
            foreach (var line in File.ReadLines(path))
            {
                if (!line.StartsWith("flags", StringComparison.Ordinal)) continue;
                var colon = line.IndexOf(':');
                if (colon < 0) continue;
                return line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return new HashSet<string>();
    }
}
