using GiantSharp.Model;
using GiantSharp.Offload.Storage;
using GiantSharp.Offload.Streaming;
using GiantSharp.Sharing;
using GiantSharp.Training.Optim;
using static TorchSharp.torch;

namespace GiantSharp.Offload;

/// <summary>
/// A model bound to a <see cref="TensorStore"/> under an <see cref="OffloadPlan"/>: the managed parameters of
/// offloaded blocks (all of a block's, or only its experts: <see cref="OffloadConfig.Tensors"/>) keep their
/// values (when on host or disk), gradients and AdamW moments in the store, one group each per block
/// (<see cref="ParamsKey"/>, <see cref="GradsKey"/>, <see cref="MomentsKey"/>, packed per <see cref="LayoutOf"/>);
/// the blocks themselves stay in the model with those parameters hollow (no storage) until a
/// <see cref="LayerStreamedTrainStep"/> streams them in. Everything else (embeddings, head, resident blocks,
/// unmanaged parameters of offloaded blocks, and their AdamW state) stays where it was.
/// Acts on a built model from outside, like sharing and delinking. Source: M6-10T sec. 3.2; ZeRO-Offload.
/// </summary>
public sealed class OffloadSession : IDisposable
{
    private readonly TensorLayout?[] _layouts;
    private bool _detached;

    internal OffloadSession(GptModel model, OffloadPlan plan, TensorStore store, TensorLayout?[] layouts, Dictionary<string, long> steps)
    {
        Model = model;
        Plan = plan;
        Store = store;
        _layouts = layouts;
        Steps = steps;
        foreach (var p in plan.Managed)
            for (int i = 0; i < layouts[p.Block]!.Entries.Count; i++)
                ManagedParams[Delinker.BlockPrefix(p.Block) + layouts[p.Block]!.Entries[i].Name] = (p.Block, i);
    }

    /// <summary>The model whose blocks are offloaded.</summary>
    public GptModel Model { get; }
    /// <summary>The placement policy.</summary>
    public OffloadPlan Plan { get; }
    /// <summary>The bytes of the offloaded state.</summary>
    public TensorStore Store { get; }
    /// <summary>The compute device.</summary>
    public Device Device => Store.Device;
    /// <summary>AdamW step count per managed parameter name of the offloaded blocks (their moments are in the store).</summary>
    internal Dictionary<string, long> Steps { get; }
    /// <summary>For each managed parameter name of the offloaded blocks: its block and index in the block's layout (unmanaged ones are absent).</summary>
    internal Dictionary<string, (int Block, int Entry)> ManagedParams { get; } = new(StringComparer.Ordinal);

    /// <summary>Names of the parameters that stream in from host or disk (hollow between uses), in block order.</summary>
    public IEnumerable<string> StreamedParameters =>
        ManagedParams.Where(kv => Plan.Blocks[kv.Value.Block]!.Streamed).OrderBy(kv => kv.Value.Block).ThenBy(kv => kv.Value.Entry).Select(kv => kv.Key);

    /// <summary>Store key of block <paramref name="block"/>'s parameters (absent when they stay on the device).</summary>
    public static string ParamsKey(int block) => $"block{block:D5}.params";
    /// <summary>Store key of block <paramref name="block"/>'s gradients.</summary>
    public static string GradsKey(int block) => $"block{block:D5}.grads";
    /// <summary>Store key of block <paramref name="block"/>'s AdamW moments (layout <see cref="TensorLayout.Moments"/>).</summary>
    public static string MomentsKey(int block) => $"block{block:D5}.moments";

    /// <summary>The layout of offloaded block <paramref name="block"/>'s managed parameters (names relative to the block).</summary>
    /// <exception cref="InvalidOperationException">The block is resident.</exception>
    public TensorLayout LayoutOf(int block) => _layouts[block] ?? throw new InvalidOperationException($"block {block} is resident, not offloaded");

    /// <summary>
    /// Plans <paramref name="model"/> under <paramref name="config"/>, checks the machine has room, and moves the
    /// offloaded blocks' parameters and <paramref name="optimizer"/>'s state for them into a new store; their
    /// parameters become hollow. On failure the model and optimizer are left as they were.
    /// </summary>
    /// <param name="model">A model whose parameters all have storage, on its compute device.</param>
    /// <param name="optimizer">The optimizer; state of offloaded parameters moves out of it.</param>
    /// <param name="config">The offload configuration.</param>
    /// <param name="resources">What the machine has free (default: probed now).</param>
    /// <exception cref="Errors.ConfigException">The configuration is invalid or a tier lacks room (preflight).</exception>
    /// <exception cref="Errors.DataException">The offload directory is unwritable or the disk is full.</exception>
    public static OffloadSession Attach(GptModel model, AdamW optimizer, OffloadConfig config, MachineResources? resources = null)
    {
        var plan = OffloadPlan.For(model, config);
        var device = model.parameters().First().device;
        OffloadPreflight.Check(plan.Footprint, resources ?? MachineResources.Probe(config.Dir), device);
        var store = new TensorStore(device, config.UsesDisk ? config.Dir : null);
        var layouts = new TensorLayout?[model.Layers.UniqueBlocks.Count];
        var steps = new Dictionary<string, long>(StringComparer.Ordinal);
        try
        {
            foreach (var p in plan.Managed)
            {
                var block = model.Layers.UniqueBlocks[p.Block];
                var layout = layouts[p.Block] = plan.LayoutOf(block);
                var prefix = Delinker.BlockPrefix(p.Block);
                Allocate(store, p, layout);
                if (p.Streamed) store.Write(ParamsKey(p.Block), BlockStorage.Params(block, layout));
                var states = layout.Entries.Select(e => optimizer.State.GetValueOrDefault(prefix + e.Name)).ToArray();
                WriteMoments(store, p.Block, layout, states);
                for (int i = 0; i < states.Length; i++) steps[prefix + layout.Entries[i].Name] = states[i]?.Step ?? 0;
            }
        }
        catch
        {
            store.Dispose();
            throw;
        }
        foreach (var p in plan.Managed.Where(p => p.Streamed))
            BlockStorage.Hollow(model.Layers.UniqueBlocks[p.Block], layouts[p.Block]!);
        optimizer.ReplaceState(optimizer.State.Where(kv => !steps.ContainsKey(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value));
        return new OffloadSession(model, plan, store, layouts, steps);
    }

    /// <summary>
    /// Builds a fresh model of shape <paramref name="config"/> (layer i applying block <paramref name="map"/>[i]) straight
    /// into a new store under <paramref name="offload"/>: each block is initialised, its managed parameters written to the
    /// store and, when streamed, hollowed before the next block is built, so memory never holds the streamed part of the
    /// model. The values are those <c>new GptModel(config, map)</c> gives from the same generator state. No AdamW state yet.
    /// </summary>
    /// <exception cref="Errors.ConfigException">The configuration is invalid or a tier lacks room (preflight).</exception>
    /// <exception cref="Errors.DataException">The offload directory is unwritable or the disk is full.</exception>
    public static OffloadSession Build(ModelConfig config, IReadOnlyList<int> map, OffloadConfig offload, Device device, MachineResources? resources = null)
    {
        var plan = OffloadAccounting.Plan(config, map, offload, device.type == TorchSharp.DeviceType.CPU);
        OffloadPreflight.Check(plan.Footprint, resources ?? MachineResources.Probe(offload.Dir), device);
        var store = new TensorStore(device, offload.UsesDisk ? offload.Dir : null);
        var layouts = new TensorLayout?[plan.Blocks.Count];
        var steps = new Dictionary<string, long>(StringComparer.Ordinal);
        try
        {
            var model = new GptModel(config, map, (b, block) =>
            {
                if (plan.Blocks[b] is not { } p) return;
                var layout = layouts[b] = plan.LayoutOf(block);
                Allocate(store, p, layout);
                foreach (var e in layout.Entries) steps[Delinker.BlockPrefix(b) + e.Name] = 0;
                if (!p.Streamed) return;
                store.Write(ParamsKey(b), BlockStorage.Params(block, layout));
                BlockStorage.Hollow(block, layout);
            });
            return new OffloadSession(model, plan, store, layouts, steps);
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>Creates the store groups of one offloaded block on their tiers, zero-filled.</summary>
    internal static void Allocate(TensorStore store, BlockPlacement p, TensorLayout layout)
    {
        if (p.Streamed) store.Allocate(ParamsKey(p.Block), p.Params, layout);
        store.Allocate(GradsKey(p.Block), p.Grads, layout);
        store.Allocate(MomentsKey(p.Block), p.Optimizer, layout.Moments());
    }

    /// <summary>Writes the moments of the given states (null: none yet, left zero) into block <paramref name="block"/>'s moments group.</summary>
    internal static void WriteMoments(TensorStore store, int block, TensorLayout layout, IReadOnlyList<AdamWState?> states)
    {
        var moments = store.LayoutOf(MomentsKey(block));
        using var _ = no_grad();
        for (int i = 0; i < states.Count; i++)
        {
            if (states[i] is not { } st) continue;
            using var scope = NewDisposeScope();
            store.WriteRange(MomentsKey(block), moments.Entries[i].Offset, st.ExpAvg.contiguous().view(-1));
            store.WriteRange(MomentsKey(block), moments.Entries[layout.Entries.Count + i].Offset, st.ExpAvgSq.contiguous().view(-1));
        }
    }

    /// <summary>
    /// Brings everything back: offloaded parameters get their own storage on the device again, their moments
    /// and step counts return to <paramref name="optimizer"/>, and the store is freed (its files deleted).
    /// </summary>
    public void Detach(AdamW optimizer)
    {
        if (_detached) return;
        var state = optimizer.State.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        foreach (var p in Plan.Managed)
        {
            var layout = LayoutOf(p.Block);
            var prefix = Delinker.BlockPrefix(p.Block);
            if (p.Streamed)
                BlockStorage.Own(Model.Layers.UniqueBlocks[p.Block], layout, i => Store.ReadEntry(ParamsKey(p.Block), i, Device));
            for (int i = 0; i < layout.Entries.Count; i++)
            {
                var name = prefix + layout.Entries[i].Name;
                var m = Store.ReadEntry(MomentsKey(p.Block), i, Device).DetachFromDisposeScope();
                var v = Store.ReadEntry(MomentsKey(p.Block), layout.Entries.Count + i, Device).DetachFromDisposeScope();
                state[name] = new AdamWState(m, v, Steps[name]);
            }
        }
        optimizer.ReplaceState(state);
        Store.Dispose();
        _detached = true;
    }

    /// <summary>
    /// Saves the store and its metadata (layer map, step counts, configuration) to <paramref name="folder"/>,
    /// atomically. The resident part of the run (embeddings, head, resident blocks, their optimizer state) is
    /// not included: it belongs to the general checkpoint.
    /// </summary>
    /// <exception cref="Errors.DataException">The folder cannot be written.</exception>
    public void Save(string folder) => SessionSnapshot.Save(this, folder);

    /// <summary>
    /// Resumes an offloaded run: plans <paramref name="model"/> (freshly built, same structure) under
    /// <paramref name="config"/>, loads the store saved in <paramref name="folder"/> onto the planned tiers, and
    /// hollows the streamed blocks. Resident parameters and optimizer state come from the general checkpoint.
    /// </summary>
    /// <exception cref="Errors.DataException">The folder is missing, malformed, or was saved for another layer map or placement.</exception>
    /// <exception cref="Errors.ConfigException">The configuration is invalid or a tier lacks room.</exception>
    public static OffloadSession Load(string folder, GptModel model, OffloadConfig config, MachineResources? resources = null) =>
        SessionSnapshot.Load(folder, model, config, resources);

    /// <summary>Frees the store (deleting its files) without restoring the model; its offloaded blocks stay hollow.</summary>
    public void Dispose()
    {
        if (!_detached) Store.Dispose();
        _detached = true;
    }
}
