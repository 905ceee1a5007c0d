using GiantSharp.Errors;
using GiantSharp.Sharing;

namespace GiantSharp.Config;

/// <summary>
/// One stage of a run: e.g. <c>pseudo</c> (sharing all) then <c>real</c> (sharing none). Moving to a stage
/// with less sharing delinks the model in place (M6-10T sec. 3.1); the LR schedule continues across.
/// </summary>
public sealed record StageConfig
{
    /// <summary>Name shown in logs and metrics, e.g. <c>pseudo</c>.</summary>
    public string Name { get; init; } = "train";
    /// <summary>Layer sharing during this stage.</summary>
    public SharingPlan Sharing { get; init; } = SharingPlan.None;
    /// <summary>Optimizer steps in this stage.</summary>
    public int Steps { get; init; } = 100;
    /// <summary>Sequences per forward/backward pass (micro-batch).</summary>
    public int MicroBatch { get; init; } = 8;
    /// <summary>Sequences per optimizer step (global batch); a multiple of micro_batch (the quotient is the accumulation).</summary>
    public int GlobalBatch { get; init; } = 8;
    /// <summary>Peak learning rate of this stage; null: schedule.lr.</summary>
    public double? Lr { get; init; }
    /// <summary>Linear re-warmup at the start of the stage, in steps (0: none).</summary>
    public int RewarmupSteps { get; init; }
    /// <summary>
    /// Whether this stage streams layers per the run's <c>offload</c> section; null (the default) follows it: yes
    /// when the run has one. <c>false</c> on the Pseudo Giant stage trains it resident and offloads only the Real
    /// Giant, as in M6-10T (sec. 3.2: the Pseudo Giant is small enough to need no offloading).
    /// </summary>
    public bool? Offload { get; init; }
    /// <summary>Evaluate every this many optimizer steps during this stage; null: <c>eval.every</c> (stages whose steps take very different times want different cadences).</summary>
    public int? EvalEvery { get; init; }

    /// <summary>Gradient-accumulation micro-batches per step: global_batch / micro_batch.</summary>
    public int AccumulationSteps => GlobalBatch / MicroBatch;

    /// <summary>Checks the fields. <paramref name="key"/> is e.g. <c>stages[0]</c>.</summary>
    /// <exception cref="ConfigException">The first bad field, by key.</exception>
    public void Validate(string key, int nLayer, Model.ModelConfig model)
    {
        if (string.IsNullOrWhiteSpace(Name)) throw new ConfigException($"{key}.name", "must not be empty");
        if (Steps <= 0) throw new ConfigException($"{key}.steps", $"must be > 0, got {Steps}");
        if (MicroBatch <= 0) throw new ConfigException($"{key}.micro_batch", $"must be > 0, got {MicroBatch}");
        if (GlobalBatch <= 0 || GlobalBatch % MicroBatch != 0)
            throw new ConfigException($"{key}.global_batch", $"must be a positive multiple of micro_batch = {MicroBatch}, got {GlobalBatch}");
        if (Lr is { } lr && (lr <= 0 || double.IsNaN(lr))) throw new ConfigException($"{key}.lr", $"must be > 0, got {lr}");
        if (EvalEvery is < 0) throw new ConfigException($"{key}.eval_every", $"must be >= 0, got {EvalEvery}");
        if (RewarmupSteps < 0 || RewarmupSteps > Steps) throw new ConfigException($"{key}.rewarmup_steps", $"must be in [0, steps = {Steps}], got {RewarmupSteps}");
        Sharing.Validate(nLayer, $"{key}.sharing", model);
    }
}
