using GiantSharp.Config;
using GiantSharp.Errors;
using GiantSharp.Training.Steps;

namespace GiantSharp.Training;

/// <summary>
/// Watches each step's loss and gradient norm for NaN or infinity and applies <c>optimizer.on_nonfinite</c>: stop the
/// run (before any checkpoint of the diverged state, so <c>latest</c> stays the last good one), or skip the step.
/// </summary>
internal sealed class NonFiniteGuard
{
    /// <summary>Skips in a row after which a <see cref="NonFinitePolicy.Skip"/> run stops all the same.</summary>
    public const int MaxSkipsInARow = 10;
    private readonly NonFinitePolicy _policy;
    private int _skipsInARow;

    public NonFiniteGuard(NonFinitePolicy policy) => _policy = policy;

    /// <summary>Whether the step must be skipped (its result not counted); false when it was finite.</summary>
    /// <param name="result">The step's result.</param>
    /// <param name="step">The global step it was to become (1-based).</param>
    /// <param name="lastCheckpoint">The last good checkpoint, named in the message, or null.</param>
    /// <exception cref="TrainingDivergedException">Not finite, and the policy (or the circumstances) say stop.</exception>
    public bool Skip(StepResult result, int step, string? lastCheckpoint)
    {
        if (double.IsFinite(result.Loss) && double.IsFinite(result.GradNorm))
        {
            _skipsInARow = 0;
            return false;
        }
        var what = $"step {step}: loss {result.Loss}, gradient norm {result.GradNorm}";
        var kept = lastCheckpoint is null ? "no checkpoint was written" : $"last good checkpoint: {lastCheckpoint}";
        if (_policy == NonFinitePolicy.Stop)
            throw new TrainingDivergedException($"training diverged at {what}; stopped before checkpointing it ({kept}); lower schedule.lr or set optimizer.on_nonfinite: skip");
        if (result.Applied is false && ++_skipsInARow <= MaxSkipsInARow) return true;
        throw new TrainingDivergedException(result.Applied
            ? $"training diverged at {what}; a streamed stage had already applied the update, so it cannot be skipped ({kept})"
            : $"training diverged: {MaxSkipsInARow} steps in a row were not finite, the last at {what} ({kept})");
    }
}
