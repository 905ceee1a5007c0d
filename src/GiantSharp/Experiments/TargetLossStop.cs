using GiantSharp.Config;
using GiantSharp.Training;

namespace GiantSharp.Experiments;

/// <summary>
/// Time-to-target (M6-10T sec. 4.2, fig. 3: the Real Giant after delinking reaches a loss in less time): stops a
/// run at the first evaluation whose val loss is at or below <see cref="Target"/> (nats per token).
/// </summary>
public sealed class TargetLossStop : ITrainingObserver
{
    private readonly CancellationTokenSource _cancel = new();

    /// <summary>Stops at val loss <paramref name="target"/> (nats per token).</summary>
    public TargetLossStop(double target) => Target = target;

    /// <summary>The val loss to reach, nats per token.</summary>
    public double Target { get; }
    /// <summary>Cancelled once the target is reached; pass it to <see cref="Trainer.Run"/>.</summary>
    public CancellationToken Token => _cancel.Token;

    /// <summary>
    /// The twin of <paramref name="run"/> that may train <paramref name="extraSteps"/> more steps in its last stage,
    /// at the final LR of <paramref name="run"/>'s schedule (the cosine still ends at <paramref name="run"/>'s total).
    /// </summary>
    public static RunConfig Extend(RunConfig run, int extraSteps) => extraSteps <= 0 ? run : run with
    {
        Stages = run.Stages.Select((s, i) => i == run.Stages.Count - 1 ? s with { Steps = s.Steps + extraSteps } : s).ToList(),
        Schedule = run.Schedule with { DecaySteps = run.Schedule.DecaySteps ?? run.TotalSteps },
    };

    /// <inheritdoc />
    public void OnEval(EvalLog log)
    {
        if (log.ValLoss <= Target) _cancel.Cancel();
    }
}
