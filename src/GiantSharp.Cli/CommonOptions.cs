using System.CommandLine;
using GiantSharp.Errors;
using static TorchSharp.torch;

namespace GiantSharp.Cli;

/// <summary>Options several commands share: --threads, --device, --set.</summary>
internal static class CommonOptions
{
    public static Option<int> Threads() => new("--threads")
    {
        Description = "CPU threads for libtorch (default: all cores).",
        DefaultValueFactory = _ => Environment.ProcessorCount,
    };

    public static Option<string> Device() => new("--device")
    {
        Description = "Compute device: cpu, or cuda[:N] where a CUDA build of libtorch is referenced (train: default the config's device).",
        DefaultValueFactory = _ => "cpu",
    };

    public static Option<string[]> Set() => new("--set")
    {
        Description = "Config override key.path=value, e.g. --set stages[1].steps=500 (repeatable).",
        AllowMultipleArgumentsPerToken = false,
    };

    public static Option<string?> MaxMemory() => new("--max-memory")
    {
        Description = "Memory budget of the training state, e.g. 1GiB or 512MiB (sets offload.max_memory): stages that fit train resident, " +
            "the others stream from disk (offload.dir, default OUT_DIR/offload) as the memory planner decides.",
    };

    public static Option<string?> Precision() => new("--precision")
    {
        Description = "Number format of training (sets precision): fp32; bf16 (bf16 compute, fp32 master weights and AdamW moments); " +
            "auto (bf16 where the CPU has avx512_bf16/amx_bf16 or the GPU compute capability >= 8.0, else fp32).",
    };

    /// <summary>
    /// The --set overrides, with --max-memory appended as <c>offload.max_memory=SIZE</c> and --precision as
    /// <c>precision=VALUE</c> when given.
    /// </summary>
    /// <exception cref="ConfigException">--max-memory is not a size, or --precision not fp32, bf16 or auto.</exception>
    public static List<string> Overrides(ParseResult r, Option<string[]> set, Option<string?>? maxMemory, Option<string?>? precision = null)
    {
        var overrides = (r.GetValue(set) ?? []).ToList();
        if (maxMemory is not null && r.GetValue(maxMemory) is { } size)
            overrides.Add($"offload.max_memory={Offload.ByteSize.Format(Offload.ByteSize.Parse(size, "--max-memory"))}");
        if (precision is not null && r.GetValue(precision) is { } p)
            overrides.Add(p is "fp32" or "bf16" or "auto" ? $"precision={p}" : throw new ConfigException("--precision", $"must be fp32, bf16 or auto, got '{p}'"));
        return overrides;
    }

    /// <summary>The value of <paramref name="option"/>, checked to be at least <paramref name="min"/>.</summary>
    /// <exception cref="ConfigException">It is smaller; the message names the option.</exception>
    public static int AtLeast(ParseResult r, Option<int> option, int min)
    {
        var value = r.GetValue(option);
        return value >= min ? value : throw new ConfigException(option.Name, $"must be >= {min}, got {value}");
    }

    /// <summary>
    /// The precision of evaluating or sampling a checkpoint: --precision when given, else the one it was trained with;
    /// resolved on this machine (auto), written as the first line to stderr with any warning, and applied to its model.
    /// </summary>
    /// <exception cref="ConfigException">--precision is not fp32, bf16 or auto.</exception>
    public static void ApplyPrecision(ParseResult r, Option<string?> precision, Checkpointing.LoadedCheckpoint ckpt)
    {
        var asked = r.GetValue(precision) switch
        {
            null => ckpt.Config.Precision,
            "fp32" => Config.Precision.Fp32,
            "bf16" => Config.Precision.Bf16,
            "auto" => Config.Precision.Auto,
            var p => throw new ConfigException("--precision", $"must be fp32, bf16 or auto, got '{p}'"),
        };
        var choice = MixedPrecision.PrecisionResolver.Resolve(asked, "cpu", MixedPrecision.Bf16Hardware.Detect());
        Console.Error.WriteLine(choice.Describe().Replace("bf16 compute, fp32 master weights and AdamW moments", "bf16"));
        if (choice.Warning is { } warning) Console.Error.WriteLine(warning);
        MixedPrecision.InferencePrecision.Apply(ckpt.Model, choice);
    }

    /// <summary>Applies --threads and checks --device.</summary>
    /// <exception cref="ConfigException">Threads below 1, or a CUDA device without CUDA.</exception>
    /// <param name="threads">CPU threads for libtorch.</param>
    /// <param name="device">The device asked for.</param>
    /// <param name="deviceKey">Where the device came from, named in the error: the option, or the config key <c>device</c>.</param>
    public static void Apply(int threads, string device, string deviceKey = "--device")
    {
        if (threads < 1) throw new ConfigException("--threads", $"must be >= 1, got {threads}");
        set_num_threads(threads);
        if (device.StartsWith("cuda", StringComparison.Ordinal) && !cuda.is_available())
            throw new ConfigException(deviceKey, $"'{device}' asked for, but this libtorch has no CUDA device (reference a libtorch-cuda package on a GPU machine)");
    }
}
