namespace GiantSharp.Offload.Planning;

/// <summary>Whether a stage fits its memory budget, and how (<see cref="StageFit"/>).</summary>
public enum FitVerdict
{
    /// <summary>Everything resident: training state, activations and workspace within the budget.</summary>
    Resident,
    /// <summary>Fits by streaming some layers (or their AdamW moments) from disk.</summary>
    Streams,
    /// <summary>Does not fit: the budget is below the smallest plan, or the disk lacks room for the store.</summary>
    DoesNotFit,
}
