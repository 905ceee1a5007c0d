using GiantSharp.Errors;

namespace GiantSharp.Config;

/// <summary>Learning-rate schedule over the whole run (all stages): linear warmup, then cosine decay to min_lr.</summary>
public sealed record ScheduleConfig
{
    /// <summary>Peak learning rate (a stage's <c>lr</c> overrides it for that stage).</summary>
    public double Lr { get; init; } = 1e-3;
    /// <summary>Floor of the cosine decay, as a fraction of the peak.</summary>
    public double MinLrRatio { get; init; } = 0.1;
    /// <summary>Linear warmup from 0 at the start of the run, in steps (longer than the run: the whole run ramps up).</summary>
    public int WarmupSteps { get; init; }
    /// <summary><c>cosine</c> (decay to min over the run's total steps) or <c>constant</c> (after warmup).</summary>
    public string Decay { get; init; } = "cosine";
    /// <summary>
    /// Steps the cosine decays over, from the start of the run; later steps train at min_lr. Null (default): the
    /// run's total steps. Lets a run continue past another run's schedule at its final LR (time-to-target).
    /// </summary>
    public int? DecaySteps { get; init; }

    /// <summary>Checks the fields.</summary>
    /// <exception cref="ConfigException">The first bad field, by key.</exception>
    public void Validate()
    {
        if (Lr <= 0 || double.IsNaN(Lr)) throw new ConfigException("schedule.lr", $"must be > 0, got {Lr}");
        if (MinLrRatio is < 0 or > 1) throw new ConfigException("schedule.min_lr_ratio", $"must be in [0, 1], got {MinLrRatio}");
        if (WarmupSteps < 0) throw new ConfigException("schedule.warmup_steps", $"must be >= 0, got {WarmupSteps}");
        if (DecaySteps is { } d && d <= WarmupSteps) throw new ConfigException("schedule.decay_steps", $"must be > warmup_steps = {WarmupSteps}, got {d}");
        if (Decay is not ("cosine" or "constant")) throw new ConfigException("schedule.decay", $"must be 'cosine' or 'constant', got '{Decay}'");
    }
}
