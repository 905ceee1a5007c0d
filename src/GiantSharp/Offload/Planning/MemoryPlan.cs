namespace GiantSharp.Offload.Planning;

/// <summary>
/// The memory planner's decision for one stage (<see cref="MemoryPlanner.Plan"/>): resident, or streamed under
/// <see cref="Config"/>, with the bytes it expects to hold in memory.
/// </summary>
/// <param name="Streamed">Whether some layers stream (or keep state on disk); false: everything resident.</param>
/// <param name="Config">The resolved offload configuration (per-layer tiers, tensors, prefetch, keep_activations), or null when resident.</param>
/// <param name="BudgetBytes">max_memory, in bytes.</param>
/// <param name="PlannedBytes">What the plan holds in the budgeted memory, in bytes: <paramref name="StateBytes"/> + <paramref name="StagingBytes"/> + <paramref name="ActivationBytes"/> + <paramref name="WorkspaceBytes"/>.</param>
/// <param name="StateBytes">Training state kept in memory (parameters, gradients, moments of resident tensors and memory tiers), in bytes.</param>
/// <param name="StagingBytes">Staging buffers of the streamed step, in bytes.</param>
/// <param name="ActivationBytes">Estimated activations of a micro-batch, in bytes (<see cref="ActivationEstimate"/>).</param>
/// <param name="WorkspaceBytes">Transients, in bytes: AdamW's temporary for the largest tensor it updates whole, and (when streaming) one block's fresh gradients.</param>
/// <param name="Footprint">Bytes per tier, or null when resident.</param>
public sealed record MemoryPlan(bool Streamed, OffloadConfig? Config, long BudgetBytes, long PlannedBytes, long StateBytes, long StagingBytes, long ActivationBytes,
    long WorkspaceBytes, OffloadFootprint? Footprint)
{
    /// <summary>A resident plan.</summary>
    internal static MemoryPlan Resident(long budget, long planned, long state, long activations, long workspace) =>
        new(false, null, budget, planned, state, 0, activations, workspace, null);

    /// <summary>Whether the plan's bytes exceed the budget (a stage forced resident can).</summary>
    public bool OverBudget => PlannedBytes > BudgetBytes;

    /// <summary>The parts of <see cref="PlannedBytes"/>: <c>state 120.00 MiB, staging 400.00 MiB, activations 210.00 MiB</c>.</summary>
    public string Breakdown => $"state {Units.Bytes(StateBytes)}, staging {Units.Bytes(StagingBytes)}, activations {Units.Bytes(ActivationBytes)}, workspace {Units.Bytes(WorkspaceBytes)}";

    /// <summary>One line: the decision, the bytes against the budget, and what goes where.</summary>
    public string Summary()
    {
        var head = $"{Units.Bytes(PlannedBytes)} of max_memory {ByteSize.Format(BudgetBytes)} ({Breakdown})";
        if (!Streamed) return $"resident: {head}";
        var disk = Footprint!.Disk.Total > 0 ? $"; disk {Units.Bytes(Footprint.Disk.Total)}" : "";
        return $"streamed: {head}{disk}; {Config!.Summary()}";
    }
}
