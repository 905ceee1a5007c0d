namespace GiantSharp.Training;

/// <summary>What the x axis of a run's curves measures (<see cref="RunCurves"/>, <c>giant plot --x</c>).</summary>
public enum PlotAxis
{
    /// <summary>Optimizer steps.</summary>
    Steps,
    /// <summary>Training tokens consumed.</summary>
    Tokens,
    /// <summary>Seconds of training (evaluation excluded), as metrics.jsonl's <c>train_seconds</c>.</summary>
    Time,
}
