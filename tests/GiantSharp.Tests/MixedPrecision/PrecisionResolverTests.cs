using GiantSharp.Config;
using GiantSharp.Errors;
using GiantSharp.MixedPrecision;
using GiantSharp.Offload;
using static TorchSharp.torch;

namespace GiantSharp.Tests.MixedPrecision;

public class PrecisionResolverTests
{
    private static Bf16Hardware Cpu(params string[] flags) => new(flags.ToHashSet());

    [Theory]
    [InlineData("fpu sse2 avx2 avx512f avx512_bf16", "bf16", "avx512_bf16")]
    [InlineData("fpu avx2 amx_tile amx_bf16 amx_int8", "bf16", "amx_bf16")]
    [InlineData("fpu avx2 avx512_bf16 amx_bf16", "bf16", "avx512_bf16 and amx_bf16")]
    [InlineData("fpu sse2 avx2 fma avx512f avx512_vnni", "fp32", "neither avx512_bf16 nor amx_bf16")]
    [InlineData("", "fp32", "neither")]
    public void Auto_picks_from_the_cpu_flags(string flags, string expected, string why)
    {
        var choice = PrecisionResolver.Resolve(Precision.Auto, "cpu", Cpu(flags.Split(' ', StringSplitOptions.RemoveEmptyEntries)));
        Assert.Equal(expected == "bf16" ? ScalarType.BFloat16 : ScalarType.Float32, choice.Compute);
        Assert.StartsWith("auto: ", choice.Reason);
        Assert.Contains(why, choice.Reason);
        Assert.Null(choice.Warning);
        Assert.Contains(expected == "bf16" ? "precision: bf16" : "precision: fp32", choice.Describe());
    }

    [Theory]
    [InlineData(8, true)]
    [InlineData(9, true)]
    [InlineData(7, false)]
    [InlineData(null, false)]
    public void Auto_on_cuda_needs_capability_8(int? major, bool bf16)
    {
        // The CPU flags do not matter for a CUDA device.
        var choice = PrecisionResolver.Resolve(Precision.Auto, "cuda:0", new Bf16Hardware(new HashSet<string> { "avx512_bf16" }, major));
        Assert.Equal(bf16, choice.IsBf16);
    }

    [Fact]
    public void Explicit_bf16_without_kernels_warns_with_the_slowdown_and_with_them_does_not()
    {
        var slow = PrecisionResolver.Resolve(Precision.Bf16, "cpu", Cpu("avx2", "avx512f"));
        Assert.True(slow.IsBf16);
        Assert.NotNull(slow.Warning);
        Assert.StartsWith("warning: ", slow.Warning);
        Assert.Contains($"{PrecisionResolver.SlowdownWithoutBf16Kernels}x slower", slow.Warning);
        Assert.Null(PrecisionResolver.Resolve(Precision.Bf16, "cpu", Cpu("avx512_bf16")).Warning);
        Assert.NotNull(PrecisionResolver.Resolve(Precision.Bf16, "cuda", new Bf16Hardware(new HashSet<string>(), 7)).Warning);
    }

    [Fact]
    public void Fp32_is_fp32_whatever_the_hardware()
    {
        var choice = PrecisionResolver.Resolve(new RunConfig(), Cpu("avx512_bf16", "amx_bf16"));
        Assert.Equal(ScalarType.Float32, choice.Compute);
        Assert.Null(choice.Warning);
    }

    [Fact]
    public void Offloaded_runs_stay_fp32_under_auto_and_refuse_explicit_bf16_naming_the_key()
    {
        var offload = new OffloadConfig();
        var auto = PrecisionResolver.Resolve(new RunConfig { Precision = Precision.Auto, Offload = offload }, Cpu("avx512_bf16"));
        Assert.False(auto.IsBf16);
        Assert.Contains("offload", auto.Reason);
        var e = Assert.Throws<ConfigException>(() => new RunConfig { Precision = Precision.Bf16, Offload = offload, Data = new DataConfig { Dir = "data" } }.Validate());
        Assert.Equal("precision", e.Key);
    }

    [Fact]
    public void Cpu_flags_are_read_from_the_first_flags_line_and_a_missing_file_gives_none()
    {
        var path = Path.Combine(Path.GetTempPath(), $"cpuinfo-{Guid.NewGuid():N}");
        File.WriteAllText(path, "processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu avx2 avx512_bf16\n\nprocessor\t: 1\nflags\t\t: fpu\n");
        try { Assert.Equal(new HashSet<string> { "fpu", "avx2", "avx512_bf16" }, Bf16Hardware.ReadCpuFlags(path)); }
        finally { File.Delete(path); }
        Assert.Empty(Bf16Hardware.ReadCpuFlags(path));
    }

    [Fact]
    public void Config_reads_precision_by_name_and_refuses_others_naming_the_key()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"precision-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var file = Path.Combine(dir, "run.json");
            File.WriteAllText(file, """{ "precision": "bf16", "data": { "dir": "data" } }""");
            Assert.Equal(Precision.Bf16, ConfigLoader.Load(file).Precision);
            Assert.Equal(Precision.Auto, ConfigLoader.Load(file, ["precision=auto"]).Precision);
            Assert.Equal(Precision.Fp32, ConfigLoader.Load(file, ["precision=fp32"]).Precision);
            var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(file, ["precision=fp16"]));
            Assert.Equal("precision", e.Key);
        }
        finally { Directory.Delete(dir, true); }
    }
}
