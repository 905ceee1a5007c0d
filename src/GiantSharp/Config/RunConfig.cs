using GiantSharp.Errors;
using GiantSharp.Model;

namespace GiantSharp.Config;

/// <summary>
/// A training run: model shape, data, optimizer, schedule and stages (e.g. Pseudo Giant then Real Giant).
/// Read from JSON with snake_case keys by <see cref="ConfigLoader"/>; command-line overrides apply first.
/// </summary>
public sealed record RunConfig
{
    /// <summary>Run name, used for the output folder.</summary>
    public string Name { get; init; } = "run";
    /// <summary>Output folder: checkpoints, metrics.jsonl, TensorBoard events.</summary>
    public string OutDir { get; init; } = "runs/run";
    /// <summary>Seed of initialisation, dropout and data order.</summary>
    public long Seed { get; init; } = 1234;
    /// <summary>Compute device: <c>cpu</c> or <c>cuda</c> (needs a CUDA build of libtorch).</summary>
    public string Device { get; init; } = "cpu";
    /// <summary>Model shape.</summary>
    public ModelConfig Model { get; init; } = new();
    /// <summary>Token source.</summary>
    public DataConfig Data { get; init; } = new();
    /// <summary>AdamW and clipping.</summary>
    public OptimizerConfig Optimizer { get; init; } = new();
    /// <summary>Learning-rate schedule across all stages.</summary>
    public ScheduleConfig Schedule { get; init; } = new();
    /// <summary>Stages in order; at least one.</summary>
    public IReadOnlyList<StageConfig> Stages { get; init; } = [new StageConfig()];
    /// <summary>How stage switches delink.</summary>
    public DelinkConfig Delink { get; init; } = new();
    /// <summary>Validation.</summary>
    public EvalConfig Eval { get; init; } = new();
    /// <summary>Checkpointing.</summary>
    public CheckpointConfig Checkpoint { get; init; } = new();
    /// <summary>
    /// Granular offloading (M6-10T sec. 3.2): tiers and layers. Stages stream their layers per this section unless
    /// they say <c>"offload": false</c>; <c>giant info</c> shows its bytes per tier and the largest model that fits.
    /// </summary>
    public Offload.OffloadConfig? Offload { get; init; }
    /// <summary>
    /// Number format of forward and backward: fp32, bf16 (bf16 compute on fp32 master weights and AdamW moments) or auto
    /// (bf16 where the hardware has bf16 matrix kernels); see <see cref="MixedPrecision.PrecisionResolver"/>.
    /// </summary>
    public Precision Precision { get; init; } = Precision.Fp32;
    /// <summary>How the ranks of an <c>mpirun</c> launch share the work (ZeRO stage, buckets); ignored by one rank.</summary>
    public global::GiantSharp.Parallel.ParallelConfig Parallel { get; init; } = new();
    /// <summary>Log a line and metrics every this many steps.</summary>
    public int LogEvery { get; init; } = 10;

    /// <summary>Whether stage <paramref name="stage"/> streams layers: the run has an <c>offload</c> section and the stage does not opt out.</summary>
    public bool IsOffloaded(int stage) => Offload is not null && Stages[stage].Offload != false;

    /// <summary>Total optimizer steps over all stages.</summary>
    public int TotalSteps => Stages.Sum(s => s.Steps);

    /// <summary>Checks every section; stage sharing must never increase (only delinking moves between stages).</summary>
    /// <exception cref="ConfigException">The first bad field, by key.</exception>
    public RunConfig Validate()
    {
        if (string.IsNullOrWhiteSpace(Name)) throw new ConfigException("name", "must not be empty");
        if (string.IsNullOrWhiteSpace(OutDir)) throw new ConfigException("out_dir", "must not be empty");
        if (Device is not ("cpu" or "cuda") && !Device.StartsWith("cuda:", StringComparison.Ordinal))
            throw new ConfigException("device", $"must be 'cpu', 'cuda' or 'cuda:N', got '{Device}'");
        Model.Validate();
        Data.Validate();
        Optimizer.Validate();
        if (Stages.Count == 0) throw new ConfigException("stages", "needs at least one stage");
        for (int i = 0; i < Stages.Count; i++)
        {
            Stages[i].Validate($"stages[{i}]", Model.NLayer, Model);
            if (i > 0 && Stages[i].Sharing != Stages[i - 1].Sharing && Stages[i].Sharing.Mode != "none")
                throw new ConfigException($"stages[{i}].sharing", $"a stage can keep the sharing of the one before ({Stages[i - 1].Sharing}) or delink to 'none', not move to '{Stages[i].Sharing}'");
        }
        Schedule.Validate();
        Delink.Validate();
        Eval.Validate();
        Checkpoint.Validate();
        Offload?.Validate(Model.NLayer);
        Parallel?.Validate();
        for (int i = 0; i < Stages.Count; i++)
            if (Stages[i].Offload == true && Offload is null)
                throw new ConfigException($"stages[{i}].offload", "is true but the run has no 'offload' section (tiers, layers) to follow");
        if (!Enum.IsDefined(Precision)) throw new ConfigException("precision", $"must be fp32, bf16 or auto, got {(int)Precision}");
        if (Precision == Precision.Bf16 && Offload is not null)
            throw new ConfigException("precision", "bf16 is not supported together with 'offload' yet (streamed layers compute in fp32); use fp32 or auto");
        if (LogEvery <= 0) throw new ConfigException("log_every", $"must be > 0, got {LogEvery}");
        return this;
    }
}
