using GiantSharp.Training;
using TorchSharp;

namespace GiantSharp.Tests.Training;

/// <summary>Records, after each step, how many tensors the training thread holds alive (a leak makes it grow).</summary>
internal sealed class LiveTensorProbe : ITrainingObserver
{
    public Dictionary<int, long> At { get; } = new();
    public void OnStep(StepLog log) => At[log.Step] = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
}
