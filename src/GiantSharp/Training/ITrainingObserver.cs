using GiantSharp.Config;

namespace GiantSharp.Training;

/// <summary>
/// Receives the trainer's progress (minGPT's callbacks): console, metrics files, TensorBoard, tests.
/// Every method has an empty default; implement what you need.
/// </summary>
public interface ITrainingObserver
{
    /// <summary>The run is about to take its first step (fresh or resumed): its parameters, tokens per step, placement, precision.</summary>
    void OnRunStart(RunStart start) { }
    /// <summary>A stage begins (also when a resumed run re-enters it). <paramref name="delinked"/>: the model was just delinked.</summary>
    void OnStageStart(int stageIndex, StageConfig stage, int step, bool delinked) { }
    /// <summary>An optimizer step finished.</summary>
    void OnStep(StepLog log) { }
    /// <summary>A validation finished.</summary>
    void OnEval(EvalLog log) { }
    /// <summary>A checkpoint was written to <paramref name="path"/>.</summary>
    void OnCheckpoint(string path, int step) { }
    /// <summary>Something worth a line in the log: where a stage's layers live, a fallback taken, a decision made.</summary>
    void OnNotice(string text) { }
}
