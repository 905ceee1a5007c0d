namespace GiantSharp.Config;

/// <summary>What a run does when a step's loss or gradient norm is NaN or infinite (<c>optimizer.on_nonfinite</c>).</summary>
public enum NonFinitePolicy
{
    /// <summary>Stop the run with a message naming the step (exit code 5); no checkpoint of the diverged state is written, so <c>latest</c> stays the last good one.</summary>
    Stop,
    /// <summary>
    /// Skip the step: its update is not applied, its batch is passed over, and the step is retried on the next batch;
    /// the run stops as with <see cref="Stop"/> after 10 skips in a row, or when a streamed stage has already applied it.
    /// </summary>
    Skip,
}
