namespace GiantSharp.Errors;

/// <summary>
/// The loss or gradient norm of a step was NaN or infinite (with <c>on_nonfinite: stop</c>, the default): the run
/// stopped before the optimizer applied the step, and no checkpoint of the diverged weights was written.
/// </summary>
public sealed class TrainingDivergedException : GiantSharpException
{
    public TrainingDivergedException(string message) : base(message) { }
}
