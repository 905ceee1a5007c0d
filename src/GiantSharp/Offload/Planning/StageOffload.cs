using GiantSharp.Config;

namespace GiantSharp.Offload.Planning;

/// <summary>
/// Where a stage's layers live, for the trainer, checkpoint readers and <c>giant info</c> alike: from the run's
/// <c>offload</c> section as written (manual tiers: a stage streams unless it says <c>"offload": false</c>), or, when
/// the section sets <c>max_memory</c>, from <see cref="MemoryPlanner"/> for the stage's layer map and micro-batch.
/// </summary>
public static class StageOffload
{
    /// <summary>
    /// The memory plan of stage <paramref name="stage"/> of <paramref name="config"/> (vocab_size resolved) when its
    /// layers are wired per <paramref name="map"/>; null when the run has no budget (manual or no offloading).
    /// </summary>
    /// <exception cref="Errors.ConfigException">The budget cannot hold the stage (see <see cref="MemoryPlanner.Plan"/>).</exception>
    public static MemoryPlan? Plan(RunConfig config, int stage, IReadOnlyList<int> map)
    {
        if (config.Offload is not { MaxMemory: not null } offload) return null;
        var demand = config.Stages[stage].Offload switch { true => PlacementDemand.Streamed, false => PlacementDemand.Resident, null => PlacementDemand.Auto };
        return MemoryPlanner.Plan(config.Model, map, config.Stages[stage].MicroBatch, offload, DeviceIsCpu(config), demand);
    }

    /// <summary>The offload configuration stage <paramref name="stage"/> streams under (manual, or as planned), or null when it trains resident.</summary>
    /// <exception cref="Errors.ConfigException">The budget cannot hold the stage.</exception>
    public static OffloadConfig? Resolve(RunConfig config, int stage, IReadOnlyList<int> map) =>
        config.Offload is { MaxMemory: not null } ? Plan(config, stage, map)!.Config : config.IsOffloaded(stage) ? config.Offload : null;

    /// <summary>Whether the run's device is the CPU (device and host are then one memory).</summary>
    public static bool DeviceIsCpu(RunConfig config) => config.Device == "cpu";
}
