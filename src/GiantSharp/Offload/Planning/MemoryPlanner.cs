using GiantSharp.Errors;
using GiantSharp.Model;

namespace GiantSharp.Offload.Planning;

/// <summary>
/// Offload policy from a memory budget (<see cref="OffloadConfig.MaxMemory"/>): for one stage's layer map and
/// micro-batch, decides whether the stage trains resident or streams, and if it streams, which tensors
/// (<see cref="OffloadTensors.Experts"/> first for a mixture of experts, as M6-10T offloads its experts, sec. 3.2),
/// which tier each layer's parameters, gradients and AdamW moments live on, the prefetch depth and how many layers
/// keep their activations. It moves nothing: the plan is an <see cref="OffloadConfig"/> with a per-layer
/// <see cref="OffloadConfig.Placement"/>, carried out by the offload engine.
/// <para>What counts against the budget: resident training state (16 bytes per parameter), the memory tiers'
/// groups (on the CPU the host tier is the same memory), staging buffers, activations
/// (<see cref="ActivationEstimate"/>) and transient workspace (AdamW's temporaries, fresh gradients). The
/// process's fixed overhead (runtime, libtorch, data) does not: it is measured (docs/benchmarks.md).</para>
/// <para>How it spends the budget, greedily from the smallest plan (every layer streamed from disk, prefetch 0, one
/// kept graph): prefetch 1 (transfers overlap compute); then, from the last layer down, a layer's parameters and
/// gradients in memory with its moments on disk (per byte the largest cut in disk traffic: 3 reads and 1 write of
/// its parameters and a read and a write of its gradients per step, for 8 bytes a parameter); prefetch 2; whole
/// layers resident; gradients in memory for layers still streamed; more kept graphs. Where ZeRO-Infinity
/// (Rajbhandari et al. 2021, sec. 5) leaves the split to the user, this follows the bandwidth ratios of sec. 4.</para>
/// </summary>
public static class MemoryPlanner
{
    /// <summary>
    /// Plans one stage of <paramref name="model"/> whose layer i applies block <paramref name="map"/>[i], trained in
    /// micro-batches of <paramref name="microBatch"/> sequences, within <paramref name="offload"/>.MaxMemory.
    /// </summary>
    /// <param name="model">The model shape (vocab_size resolved).</param>
    /// <param name="map">The stage's layer-to-block map (shared blocks cannot stream: their parameters are needed at every depth).</param>
    /// <param name="microBatch">Sequences per micro-batch.</param>
    /// <param name="offload">The offload section; <see cref="OffloadConfig.MaxMemory"/> must be set.</param>
    /// <param name="deviceIsCpu">Whether the compute device is the CPU (then the host tier counts against the budget).</param>
    /// <param name="demand">Whether the stage may train resident, must, or must stream.</param>
    /// <exception cref="ConfigException">Not even the smallest plan fits the budget (the message names the budget and the minimum), or the plan needs the disk tier and offload.dir is not set.</exception>
    public static MemoryPlan Plan(ModelConfig model, IReadOnlyList<int> map, int microBatch, OffloadConfig offload, bool deviceIsCpu = true,
        PlacementDemand demand = PlacementDemand.Auto)
    {
        long budget = offload.MaxMemory ?? throw new ArgumentException("the offload section has no max_memory", nameof(offload));
        long unique = LayerStackParameters(model, map) + ModelSize.OutsideParameters(model);
        long optimizerWorkspace = 4 * ModelSize.LargestTensor(model);
        long residentBytes = ResidentBytes(model, map, microBatch);
        if (demand == PlacementDemand.Resident || (demand == PlacementDemand.Auto && residentBytes <= budget))
            return MemoryPlan.Resident(budget, residentBytes, 16 * unique, ActivationEstimate.Resident(model, microBatch), optimizerWorkspace);

        var offTier = offload.Dir is null ? Tier.Host : Tier.Disk;
        MemoryPlan? smallest = null;
        foreach (var search in Searches(model, map, microBatch, offload, deviceIsCpu))
        {
            var first = search.Cost();
            if (smallest is null || first.PlannedBytes < smallest.PlannedBytes) smallest = first;
            if (first.PlannedBytes > budget && (deviceIsCpu || offTier == Tier.Disk)) continue;
            var plan = search.Spend(budget, keepStreaming: demand == PlacementDemand.Streamed);
            if (offTier == Tier.Host && deviceIsCpu && plan.Config!.UsesDisk == false)
                throw new ConfigException("offload.dir", $"max_memory {ByteSize.Format(budget)} needs the disk tier (the whole model's training state is {Units.Bytes(residentBytes)}): set offload.dir to a folder on a drive");
            return plan;
        }
        if (offTier == Tier.Host && deviceIsCpu)
            throw new ConfigException("offload.dir", $"max_memory {ByteSize.Format(budget)} needs the disk tier (the whole model's training state is {Units.Bytes(residentBytes)}): set offload.dir to a folder on a drive");
        throw new ConfigException("offload.max_memory",
            $"{ByteSize.Format(budget)} cannot hold even one streamed layer: the smallest plan needs {Units.Bytes(smallest!.PlannedBytes)} " +
            $"({smallest.Breakdown}); raise max_memory to at least that, or lower micro_batch");
    }

    /// <summary>
    /// Bytes the stage needs to train resident: 16 per unique parameter (fp32 weights, gradients, AdamW m and v), the
    /// activations of a micro-batch of <paramref name="microBatch"/> sequences (<see cref="ActivationEstimate.Resident"/>)
    /// and AdamW's workspace for its largest tensor.
    /// </summary>
    public static long ResidentBytes(ModelConfig model, IReadOnlyList<int> map, int microBatch) =>
        16 * (LayerStackParameters(model, map) + ModelSize.OutsideParameters(model)) + ActivationEstimate.Resident(model, microBatch) + 4 * ModelSize.LargestTensor(model);

    /// <summary>
    /// The smallest max_memory, in bytes, for which <see cref="Plan"/> succeeds with these arguments: the resident need
    /// when the stage must (or may, and that is smaller) train resident, else the smallest streamed plan (every
    /// layer streamed from the off-device tier, prefetch 0, one kept graph).
    /// </summary>
    public static long MinimumBytes(ModelConfig model, IReadOnlyList<int> map, int microBatch, OffloadConfig offload, bool deviceIsCpu = true,
        PlacementDemand demand = PlacementDemand.Auto)
    {
        long resident = ResidentBytes(model, map, microBatch);
        if (demand == PlacementDemand.Resident) return resident;
        var priced = offload with { MaxMemory = long.MaxValue };
        long streamed = Searches(model, map, microBatch, priced, deviceIsCpu).Min(s => s.Cost().PlannedBytes);
        return demand == PlacementDemand.Auto ? Math.Min(resident, streamed) : streamed;
    }

    /// <summary>One greedy search per choice of offloaded tensors: the experts first for a mixture of experts, then whole blocks.</summary>
    private static IEnumerable<Search> Searches(ModelConfig model, IReadOnlyList<int> map, int microBatch, OffloadConfig offload, bool deviceIsCpu)
    {
        var offTier = offload.Dir is null ? Tier.Host : Tier.Disk;
        var shared = map.GroupBy(b => b).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();
        var candidates = model.Moe is null ? [OffloadTensors.All] : new[] { OffloadTensors.Experts, OffloadTensors.All };
        return candidates.Select(tensors => new Search(model, map, microBatch, offload with { Tensors = tensors }, deviceIsCpu, offTier, shared));
    }

    /// <summary>Parameters of the stack's unique blocks under <paramref name="map"/>.</summary>
    private static long LayerStackParameters(ModelConfig model, IReadOnlyList<int> map) =>
        Model.LayerStack.FirstLayers(map).Sum(layer => ModelSize.BlockParameters(model, GptModel.IsMoeLayer(model, layer)));

    /// <summary>Where one layer's managed tensors live, from the least memory to the most.</summary>
    private enum Level { Streamed, StreamedGradsInMemory, ParamsInMemory, Resident }

    /// <summary>The greedy search over one choice of tensors.</summary>
    private sealed class Search(ModelConfig model, IReadOnlyList<int> map, int microBatch, OffloadConfig offload, bool deviceIsCpu, Tier offTier, HashSet<int> shared)
    {
        private readonly Level[] _levels = map.Select(b => shared.Contains(b) ? Level.ParamsInMemory : Level.Streamed).ToArray();
        private int _prefetch;
        private int _keep = 1;

        /// <summary>The plan as it stands.</summary>
        public MemoryPlan Cost()
        {
            var config = Config();
            var plan = OffloadAccounting.Plan(model, map, config, deviceIsCpu);
            var footprint = plan.Footprint;
            // Any offloaded block makes the stage run the layer-streamed step, which recomputes all but the kept layers.
            long activations = plan.Managed.Any() ? ActivationEstimate.Streamed(model, microBatch, _keep) : ActivationEstimate.Resident(model, microBatch);
            long memory = deviceIsCpu ? footprint.Device.Total + footprint.Host.Total : footprint.Device.Total;
            long staging = footprint.Device.Staging;
            // Transients: AdamW's denominator of the largest tensor it updates whole, and one block's fresh gradients
            // before autograd adds them into the bound buffer.
            long workspace = 4 * ModelSize.LargestTensor(model) + 4 * Storage.AlignedBuffer.Padded(plan.Managed.Select(p => p.Numel).DefaultIfEmpty(0).Max());
            return new MemoryPlan(true, config, offload.MaxMemory!.Value, memory + activations + workspace, memory - staging, staging, activations, workspace, footprint);
        }

        /// <summary>
        /// Spends the budget on the upgrades in order (see <see cref="MemoryPlanner"/>) and returns the plan; with
        /// <paramref name="keepStreaming"/> (the stage asked to stream) layers stay streamed, and only prefetch,
        /// gradients in memory and kept graphs are bought.
        /// </summary>
        public MemoryPlan Spend(long budget, bool keepStreaming)
        {
            bool Try(Action change, Action undo)
            {
                change();
                if (Cost().PlannedBytes <= budget) return true;
                undo();
                return false;
            }
            bool AnyStreamed() => _levels.Any(l => l is Level.Streamed or Level.StreamedGradsInMemory);
            void Raise(Level from, Level to)
            {
                for (int i = _levels.Length - 1; i >= 0; i--)
                    if (_levels[i] == from) { int k = i; Try(() => _levels[k] = to, () => _levels[k] = from); }
            }
            if (AnyStreamed()) Try(() => _prefetch = 1, () => _prefetch = 0);
            if (!keepStreaming) Raise(Level.Streamed, Level.ParamsInMemory);
            if (AnyStreamed() && _prefetch == 1) Try(() => _prefetch = 2, () => _prefetch = 1);   // undoing to 1 after 1 did not fit went over the budget
            if (!keepStreaming) Raise(Level.ParamsInMemory, Level.Resident);
            Raise(Level.Streamed, Level.StreamedGradsInMemory);
            while (_keep < map.Count && Try(() => _keep++, () => _keep--)) { }
            if (!AnyStreamed()) _prefetch = 0;
            return Cost();
        }

        private OffloadConfig Config() => offload with
        {
            Prefetch = _prefetch,
            KeepActivations = _keep,
            Placement = _levels.Select(l => l switch
            {
                Level.Streamed => new LayerTiers(offTier, offTier, offTier),
                Level.StreamedGradsInMemory => new LayerTiers(offTier, Tier.Host, offTier),
                Level.ParamsInMemory => new LayerTiers(Tier.Device, Tier.Device, offTier),
                _ => (LayerTiers?)null,
            }).ToArray(),
        };
    }
}
