using GiantSharp.Config;

namespace GiantSharp.Training;

/// <summary>
/// Learning rate at each optimizer step of a multi-stage run: linear warmup, then cosine decay to
/// min_lr_ratio * peak over the whole run (or schedule.decay_steps, then flat at the floor), so the schedule continues across the Pseudo-to-Real switch
/// (M6-10T sec. 4); a stage may set its own peak and a linear re-warmup. Source: Loshchilov &amp; Hutter
/// 2017 (SGDR) for the cosine; GPT-3 (Brown et al. 2020, app. B) for warmup + cosine.
/// </summary>
public sealed class LrSchedule
{
    private readonly ScheduleConfig _schedule;
    private readonly IReadOnlyList<StageConfig> _stages;
    private readonly int _total;
    private readonly IReadOnlyList<int>? _ends;

    /// <summary>The schedule of a run with these stages.</summary>
    /// <param name="schedule">Warmup, peak, cosine decay.</param>
    /// <param name="stages">The stages (their lr and rewarmup_steps apply within them).</param>
    /// <param name="stageEnds">Global step at which each stage ends, where it differs from the configured steps (a sharing stage ended early by <c>delink.when: auto</c>); null: as configured.</param>
    public LrSchedule(ScheduleConfig schedule, IReadOnlyList<StageConfig> stages, IReadOnlyList<int>? stageEnds = null)
    {
        _schedule = schedule;
        _stages = stages;
        _total = schedule.DecaySteps ?? stages.Sum(s => s.Steps);
        _ends = stageEnds;
    }

    /// <summary>Learning rate of optimizer step <paramref name="step"/> (0-based over the whole run).</summary>
    public double At(int step)
    {
        var (stage, localStep) = Locate(step);
        var peak = stage.Lr ?? _schedule.Lr;
        double ratio;
        if (step < _schedule.WarmupSteps) ratio = (step + 1.0) / _schedule.WarmupSteps;
        else if (_schedule.Decay == "constant" || _total <= _schedule.WarmupSteps) ratio = 1.0;
        else
        {
            var progress = Math.Min(1.0, (step - _schedule.WarmupSteps) / (double)(_total - _schedule.WarmupSteps));
            ratio = _schedule.MinLrRatio + (1 - _schedule.MinLrRatio) * 0.5 * (1 + Math.Cos(Math.PI * progress));
        }
        if (localStep < stage.RewarmupSteps) ratio *= (localStep + 1.0) / stage.RewarmupSteps;
        return peak * ratio;
    }

    private (StageConfig Stage, int LocalStep) Locate(int step)
    {
        var start = 0;
        for (int i = 0; i < _stages.Count; i++)
        {
            var end = _ends?[i] ?? start + _stages[i].Steps;
            if (step < end) return (_stages[i], step - start);
            if (i < _stages.Count - 1) start = end;
        }
        return (_stages[^1], step - start);
    }
}
