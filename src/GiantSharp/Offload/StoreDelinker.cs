using GiantSharp.Model;
using GiantSharp.Offload.Storage;
using GiantSharp.Offload.Streaming;
using GiantSharp.Sharing;
using GiantSharp.Training.Optim;

namespace GiantSharp.Offload;

/// <summary>
/// Delinking straight into an offload store (M6-10T, Lin et al. 2021, sec. 3.1 + 3.2): the Pseudo Giant's
/// shared block is copied into each layer's place in the store, with its AdamW state carried per
/// <see cref="OptimizerStateDelink"/> (the rule of <see cref="Delinker.DelinkState"/>), one layer at a time, so
/// the Real Giant is never whole in memory: at most the shared block, its state, and one layer's copies.
/// </summary>
public static class StoreDelinker
{
    /// <summary>
    /// Delinks <paramref name="model"/> in place into a Real Giant whose layers the returned session offloads per
    /// <paramref name="config"/>: every layer gets a clone of its block; in offloaded layers the managed parameters
    /// (<see cref="OffloadConfig.Tensors"/>) and their moments go to the store (the clone's copies hollowed when
    /// streamed); everything else keeps its state in <paramref name="optimizer"/>. The old shared
    /// blocks are disposed. On failure before rewiring, the model and optimizer are unchanged.
    /// </summary>
    /// <exception cref="Errors.ConfigException">The configuration is invalid or a tier lacks room (preflight).</exception>
    /// <exception cref="Errors.DataException">The offload directory is unwritable or the disk is full.</exception>
    public static OffloadSession DelinkToStore(GptModel model, AdamW optimizer, OffloadConfig config,
        OptimizerStateDelink mode = OptimizerStateDelink.Scale, MachineResources? resources = null)
    {
        var oldMap = model.Layers.LayerToBlock.ToArray();
        var oldBlocks = model.Layers.UniqueBlocks.ToArray();
        int n = oldMap.Length;
        var uses = new int[oldBlocks.Length];
        foreach (var b in oldMap) uses[b]++;
        var oldNumel = oldBlocks.Select(b => b.parameters().Sum(p => p.numel())).ToArray();
        var oldLayouts = oldBlocks.Select(b => ManagedTensors.Layout(config.Tensors, b)).ToArray();
        var residentNumel = model.named_parameters().Where(p => !IsStack(p.name)).Sum(p => p.parameter.numel());
        var identity = Enumerable.Range(0, n).ToArray();
        var plan = OffloadPlan.Create(config, identity, oldMap.Select(b => oldNumel[b]).ToArray(), residentNumel,
            managedNumel: oldMap.Select(b => oldLayouts[b].Numel).ToArray());
        var device = model.parameters().First().device;
        OffloadPreflight.Check(plan.Footprint, resources ?? MachineResources.Probe(config.Dir), device);

        var store = new TensorStore(device, config.UsesDisk ? config.Dir : null);
        var layouts = new TensorLayout?[n];
        var steps = new Dictionary<string, long>(StringComparer.Ordinal);
        var newBlocks = new TransformerBlock[n];
        var state = optimizer.State.Where(kv => !IsStack(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        try
        {
            for (int layer = 0; layer < n; layer++)
            {
                int b = oldMap[layer];
                var old = oldBlocks[b];
                var placement = plan.Blocks[layer];
                var layerState = LayerState(optimizer.State, b, uses, mode);
                if (placement is null)
                {
                    newBlocks[layer] = old.Clone();
                    foreach (var (local, st) in layerState) state[Delinker.BlockPrefix(layer) + local] = st.Owned;
                    continue;
                }
                var layout = layouts[layer] = oldLayouts[b];
                OffloadSession.Allocate(store, placement, layout);
                if (placement.Streamed) store.Write(OffloadSession.ParamsKey(layer), BlockStorage.Params(old, layout));
                var states = layout.Entries.Select(e => layerState.GetValueOrDefault(e.Name).State).ToArray();
                OffloadSession.WriteMoments(store, layer, layout, states);
                for (int i = 0; i < states.Length; i++) steps[Delinker.BlockPrefix(layer) + layout.Entries[i].Name] = states[i]?.Step ?? 0;
                foreach (var (local, st) in layerState)
                {
                    if (!steps.ContainsKey(Delinker.BlockPrefix(layer) + local)) state[Delinker.BlockPrefix(layer) + local] = st.Owned;   // unmanaged: stays resident
                    else if (!st.IsOriginal) st.State.Dispose();
                }
                newBlocks[layer] = old.Clone();
                if (placement.Streamed) BlockStorage.Hollow(newBlocks[layer], layout);
            }
        }
        catch
        {
            store.Dispose();
            foreach (var blk in newBlocks) blk?.Dispose();
            throw;
        }
        model.Layers.Rewire(newBlocks, identity);
        foreach (var old in oldBlocks) old.Dispose();
        optimizer.ReplaceState(state);
        return new OffloadSession(model, plan, store, layouts, steps);
    }

    /// <summary>The state layer-to-be of block <paramref name="block"/> gets, by local parameter name.</summary>
    private static Dictionary<string, LayerStateEntry> LayerState(IReadOnlyDictionary<string, AdamWState> state, int block, int[] uses, OptimizerStateDelink mode)
    {
        var prefix = Delinker.BlockPrefix(block);
        var own = state.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value);
        var delinked = Delinker.DelinkState(own, [block], uses, mode);         // names h.0.*: one layer
        var newPrefix = Delinker.BlockPrefix(0);
        return delinked.ToDictionary(kv => kv.Key[newPrefix.Length..],
            kv => new LayerStateEntry(kv.Value, own.ContainsValue(kv.Value)), StringComparer.Ordinal);
    }

    private static bool IsStack(string name) => name.StartsWith(GptModel.LayersKey + ".", StringComparison.Ordinal);

    /// <summary>A delinked state and whether it is the shared block's own object (which must not be disposed or shared).</summary>
    private readonly record struct LayerStateEntry(AdamWState State, bool IsOriginal)
    {
        public AdamWState Owned => IsOriginal ? State.Clone() : State;
    }
}
