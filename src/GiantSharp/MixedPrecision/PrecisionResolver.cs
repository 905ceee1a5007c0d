using GiantSharp.Config;
using GiantSharp.Errors;
using static TorchSharp.torch;

namespace GiantSharp.MixedPrecision;

/// <summary>
/// Policy: turns a run's <c>precision</c> (fp32, bf16, auto) into the element type it computes in, with the reason
/// and any warning, from what the hardware offers (<see cref="Bf16Hardware"/>).
/// </summary>
public static class PrecisionResolver
{
    /// <summary>How much slower bf16 matmuls run than fp32 on a CPU without AVX512-BF16 (measured, docs/benchmarks.md: ~70x).</summary>
    public const int SlowdownWithoutBf16Kernels = 70;

    /// <summary>Resolves <paramref name="config"/>'s precision on <paramref name="hardware"/> (default: this machine).</summary>
    /// <exception cref="ConfigException">bf16 asked for together with offloading (streamed layers compute in fp32 only, so far).</exception>
    public static PrecisionChoice Resolve(RunConfig config, Bf16Hardware? hardware = null)
    {
        if (config.Precision == Precision.Fp32) return new(ScalarType.Float32, "as configured", null);
        if (config.Offload is not null)
        {
            if (config.Precision == Precision.Bf16)
                throw new ConfigException("precision", "bf16 is not supported together with 'offload' yet (streamed layers compute in fp32); use fp32 or auto");
            return new(ScalarType.Float32, "auto: offloaded runs stream fp32 layers (bf16 streaming is not built yet)", null);
        }
        return Resolve(config.Precision, config.Device, hardware ?? Bf16Hardware.Detect());
    }

    /// <summary>Resolves <paramref name="precision"/> for <paramref name="device"/> (cpu, cuda, cuda:N) on <paramref name="hardware"/>.</summary>
    public static PrecisionChoice Resolve(Precision precision, string device, Bf16Hardware hardware)
    {
        if (precision == Precision.Fp32) return new(ScalarType.Float32, "as configured", null);
        var (fast, why) = HasBf16Kernels(device, hardware);
        if (precision == Precision.Bf16)
            return new(ScalarType.BFloat16, "as configured",
                fast ? null : $"warning: precision bf16 on hardware without bf16 matrix kernels ({why}): expect training about " +
                    $"{SlowdownWithoutBf16Kernels}x slower than fp32 (CPU measurement, docs/benchmarks.md); use precision fp32 or auto");
        return fast ? new(ScalarType.BFloat16, $"auto: {why}", null) : new(ScalarType.Float32, $"auto: {why}", null);
    }

    /// <summary>Whether <paramref name="device"/> has bf16 matrix kernels, and why (or why not) in words.</summary>
    public static (bool Fast, string Why) HasBf16Kernels(string device, Bf16Hardware hardware)
    {
        if (device.StartsWith("cuda", StringComparison.Ordinal))
            return hardware.CudaCapabilityMajor switch
            {
                null => (false, "the CUDA device's compute capability is unknown"),
                >= 8 => (true, $"the CUDA device has compute capability {hardware.CudaCapabilityMajor}.x >= 8.0"),
                var m => (false, $"the CUDA device has compute capability {m}.x < 8.0"),
            };
        var flags = hardware.CpuBf16Flags;
        return flags.Count > 0
            ? (true, $"this CPU has {string.Join(" and ", flags)}")
            : (false, "this CPU has neither avx512_bf16 nor amx_bf16");
    }
}
