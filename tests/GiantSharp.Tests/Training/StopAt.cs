using GiantSharp.Training;

namespace GiantSharp.Tests.Training;

/// <summary>Cancels a run after step <paramref name="step"/> (the trainer finishes that step, then stops).</summary>
internal sealed class StopAt(int step, CancellationTokenSource cts) : ITrainingObserver
{
    public void OnStep(StepLog log) { if (log.Step == step) cts.Cancel(); }
}
