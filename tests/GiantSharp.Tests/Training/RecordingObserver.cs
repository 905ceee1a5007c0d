using GiantSharp.Config;
using GiantSharp.Training;

namespace GiantSharp.Tests.Training;

/// <summary>Keeps everything the trainer reports.</summary>
internal sealed class RecordingObserver : ITrainingObserver
{
    public List<StepLog> Steps { get; } = new();
    public List<EvalLog> Evals { get; } = new();
    public List<(int Stage, bool Delinked)> StageStarts { get; } = new();
    public List<string> Notices { get; } = new();
    public List<RunStart> Starts { get; } = new();
    public void OnRunStart(RunStart start) => Starts.Add(start);
    public void OnNotice(string text) => Notices.Add(text);
    public void OnStep(StepLog log) => Steps.Add(log);
    public void OnEval(EvalLog log) => Evals.Add(log);
    public void OnStageStart(int stageIndex, StageConfig stage, int step, bool delinked) => StageStarts.Add((stageIndex, delinked));
}
