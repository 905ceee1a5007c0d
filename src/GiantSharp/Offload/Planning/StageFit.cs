using GiantSharp.Config;
using GiantSharp.Errors;

namespace GiantSharp.Offload.Planning;

/// <summary>
/// Whether one stage of a run fits, and how, as <c>giant info</c> reports it: the activations of its micro-batch, what
/// training resident would need, and under a budget (<c>offload.max_memory</c>) the plan <see cref="MemoryPlanner"/>
/// makes for <c>giant train</c>, or the smallest budget that would do. Counts bytes; moves nothing.
/// </summary>
/// <param name="Stage">The stage's name.</param>
/// <param name="MicroBatch">Sequences per micro-batch (B); the activations are for B x seq_len tokens.</param>
/// <param name="ActivationBytes">Activations of one micro-batch: as planned when there is a plan, else resident (<see cref="ActivationEstimate.Resident"/>), in bytes.</param>
/// <param name="ResidentBytes">Training state, activations and workspace of the stage trained resident, in bytes (<see cref="MemoryPlanner.ResidentBytes"/>).</param>
/// <param name="Verdict">Fits resident, streams, or does not fit.</param>
/// <param name="Plan">The planner's plan, or null without a budget or when none fits.</param>
/// <param name="MinimumBytes">With a budget, the smallest max_memory the stage plans under (<see cref="MemoryPlanner.MinimumBytes"/>), in bytes; else null.</param>
/// <param name="DiskBytes">Bytes the plan keeps in the disk tier's files.</param>
/// <param name="Reason">Why it does not fit (one clause), or null.</param>
public sealed record StageFit(string Stage, int MicroBatch, long ActivationBytes, long ResidentBytes, FitVerdict Verdict, MemoryPlan? Plan,
    long? MinimumBytes, long DiskBytes, string? Reason)
{
    /// <summary>Layers whose parameters stream from disk in <see cref="Plan"/>.</summary>
    public int StreamedLayers => Placement.Count(t => t is { Params: Tier.Disk });
    /// <summary>Layers whose parameters and gradients stay in memory while their AdamW moments live on disk.</summary>
    public int MomentsOnDiskLayers => Placement.Count(t => t is { Params: not Tier.Disk, Optimizer: Tier.Disk });
    private IReadOnlyList<LayerTiers?> Placement => Plan?.Config?.Placement ?? [];

    /// <summary>
    /// Stage <paramref name="stage"/> of <paramref name="run"/> (vocab_size resolved): planned when the run sets
    /// offload.max_memory, else compared with <paramref name="machine"/>'s available memory.
    /// </summary>
    /// <param name="run">The run.</param>
    /// <param name="stage">The stage index.</param>
    /// <param name="machine">This machine: available memory, and free disk where the store would go.</param>
    public static StageFit Of(RunConfig run, int stage, MachineResources machine)
    {
        var s = run.Stages[stage];
        var map = s.Sharing.LayerMap(run.Model.NLayer);
        long resident = MemoryPlanner.ResidentBytes(run.Model, map, s.MicroBatch);
        long residentActivations = ActivationEstimate.Resident(run.Model, s.MicroBatch);
        if (run.Offload is not { MaxMemory: not null } offload)
        {
            var fits = resident <= machine.MemoryAvailableBytes;
            return new StageFit(s.Name, s.MicroBatch, residentActivations, resident, fits ? FitVerdict.Resident : FitVerdict.DoesNotFit, null, null, 0,
                fits ? null : $"training resident needs {Units.Bytes(resident)}, this machine has {Units.Bytes(machine.MemoryAvailableBytes)} available");
        }
        var demand = s.Offload switch { true => PlacementDemand.Streamed, false => PlacementDemand.Resident, null => PlacementDemand.Auto };
        long minimum = MemoryPlanner.MinimumBytes(run.Model, map, s.MicroBatch, offload, StageOffload.DeviceIsCpu(run), demand);
        MemoryPlan plan;
        try { plan = StageOffload.Plan(run, stage, map)!; }
        catch (ConfigException e)
        {
            var why = e.Key == "offload.max_memory" ? $"max_memory {ByteSize.Format(offload.MaxMemory.Value)} cannot hold even one streamed layer" : e.Message;
            return new StageFit(s.Name, s.MicroBatch, residentActivations, resident, FitVerdict.DoesNotFit, null, minimum, 0, why);
        }
        long disk = plan.Footprint?.Disk.Total ?? 0;
        string? reason = plan.OverBudget ? $"the stage says \"offload\": false and training resident needs {Units.Bytes(plan.PlannedBytes)}, over max_memory {ByteSize.Format(plan.BudgetBytes)}"
            : disk > 0 && disk > machine.DiskFreeBytes ? $"the disk tier needs {Units.Bytes(disk)}, {Units.Bytes(machine.DiskFreeBytes)} free at {machine.DiskPath}"
            : null;
        var verdict = reason is not null ? FitVerdict.DoesNotFit : plan.Streamed ? FitVerdict.Streams : FitVerdict.Resident;
        return new StageFit(s.Name, s.MicroBatch, plan.ActivationBytes, resident, verdict, plan, minimum, disk, reason);
    }

    /// <summary>
    /// One line: <c>fits resident (…)</c>, <c>streams 10 of 24 layers from disk (…)</c> or <c>does not fit: … (at least … of max_memory)</c>.
    /// </summary>
    public string Describe(int nLayer)
    {
        var minimum = MinimumBytes is { } m ? $"; max_memory must be at least {ByteSize.Format(RoundUp(m))} (or lower micro_batch)" : "";
        return Verdict switch
        {
            FitVerdict.Resident => Plan is null ? "fits resident in the memory available" : $"fits resident: {Plan.Summary()["resident: ".Length..]}",
            FitVerdict.Streams => $"streams {StreamedLayers} of {nLayer} layers from disk" +
                (MomentsOnDiskLayers > 0 ? $", {MomentsOnDiskLayers} more keep only their AdamW moments there" : "") +
                (Plan!.Config!.Tensors == OffloadTensors.Experts ? " (only the experts' weights)" : "") +
                $"; {Plan.Summary()}",
            _ => $"does not fit: {Reason}{(Plan is null || Plan.OverBudget ? minimum : "")}",
        };
    }

    /// <summary>Bytes rounded up to a whole MiB, so the printed minimum, given back as max_memory, plans.</summary>
    private static long RoundUp(long bytes) => (bytes + (1L << 20) - 1) >> 20 << 20;
}
