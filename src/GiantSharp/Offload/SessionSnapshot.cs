using System.Text.Json.Nodes;
using GiantSharp.Errors;
using GiantSharp.Model;
using GiantSharp.Offload.Storage;
using GiantSharp.Offload.Streaming;

namespace GiantSharp.Offload;

/// <summary>
/// Save and resume of an <see cref="OffloadSession"/>: the store's parameter and moment groups (gradients are
/// rebuilt each step and not saved) plus metadata: the layer map, the placements, which tensors of a block are
/// managed (<see cref="OffloadConfig.Tensors"/>) and the AdamW step counts.
/// </summary>
internal static class SessionSnapshot
{
    public static void Save(OffloadSession session, string folder)
    {
        var steps = new JsonObject();
        foreach (var (name, step) in session.Steps.OrderBy(kv => kv.Key, StringComparer.Ordinal)) steps[name] = step;
        var metadata = new JsonObject
        {
            ["layer_to_block"] = new JsonArray(session.Plan.LayerToBlock.Select(b => (JsonNode)b).ToArray()),
            ["offloaded_blocks"] = new JsonArray(session.Plan.Managed.Select(p => (JsonNode)p.Block).ToArray()),
            ["tensors"] = TensorsName(session.Plan.Config.Tensors),
            ["steps"] = steps,
        };
        session.Store.Save(folder, metadata, key => !key.EndsWith(".grads", StringComparison.Ordinal));
    }

    public static OffloadSession Load(string folder, GptModel model, OffloadConfig config, MachineResources? resources)
    {
        // A model built hollow (OffloadedCheckpoint.LoadModel) is planned from its shape: its streamed tensors have no storage.
        var hollow = model.parameters().Any(p => p.numel() == 0);
        var plan = hollow ? OffloadAccounting.Plan(model.Config, model.Layers.LayerToBlock, config) : OffloadPlan.For(model, config);
        var device = model.parameters().First().device;
        OffloadPreflight.Check(plan.Footprint, resources ?? MachineResources.Probe(config.Dir), device);
        var saved = StoreSnapshot.Read(folder);
        var savedMap = saved.Metadata["layer_to_block"]?.AsArray().Select(n => (int)n!).ToArray() ?? [];
        if (!savedMap.SequenceEqual(plan.LayerToBlock))
            throw new DataException(folder, $"was saved for layer map [{string.Join(",", savedMap)}], the model has [{string.Join(",", plan.LayerToBlock)}]");
        var savedTensors = saved.Metadata["tensors"]?.GetValue<string>() ?? TensorsName(OffloadTensors.All);   // older snapshots: whole blocks
        if (savedTensors != TensorsName(config.Tensors))
            throw new DataException(folder, $"was saved with offload.tensors '{savedTensors}', the configuration says '{TensorsName(config.Tensors)}'");

        var tiers = new Dictionary<string, Tier>(StringComparer.Ordinal);
        var layouts = new TensorLayout?[model.Layers.UniqueBlocks.Count];
        var shapes = new BlockShapes(plan);
        foreach (var p in plan.Managed)
        {
            var block = model.Layers.UniqueBlocks[p.Block];
            layouts[p.Block] = hollow ? shapes.Layout(block) : plan.LayoutOf(block);
            if (p.Streamed) tiers[OffloadSession.ParamsKey(p.Block)] = p.Params;
            tiers[OffloadSession.MomentsKey(p.Block)] = p.Optimizer;
        }
        var savedKeys = saved.Groups.Select(g => g.Key).ToHashSet(StringComparer.Ordinal);
        var missing = tiers.Keys.FirstOrDefault(k => !savedKeys.Contains(k));
        var extra = savedKeys.FirstOrDefault(k => !tiers.ContainsKey(k));
        if (missing is not null || extra is not null)
            throw new DataException(folder, missing is not null
                ? $"has no group '{missing}': it was saved with other offload.layers or offload.params"
                : $"holds group '{extra}' that offload.layers/offload.params no longer ask for");
        foreach (var g in saved.Groups.Where(g => g.Key.EndsWith(".params", StringComparison.Ordinal)))
        {
            var block = int.Parse(g.Key["block".Length..g.Key.IndexOf('.')]);
            if (!g.Layout.SameAs(layouts[block]!)) throw new DataException(folder, $"block {block} was saved with other tensor shapes than the model's");
        }

        var store = TensorStore.Load(folder, device, config.UsesDisk ? config.Dir : null, (key, _) => tiers[key]);
        var steps = new Dictionary<string, long>(StringComparer.Ordinal);
        try
        {
            foreach (var p in plan.Managed)
                store.Allocate(OffloadSession.GradsKey(p.Block), p.Grads, layouts[p.Block]!);
            foreach (var (name, node) in saved.Metadata["steps"]?.AsObject() ?? new JsonObject())
                steps[name] = (long)node!;
        }
        catch
        {
            store.Dispose();
            throw;
        }
        foreach (var p in plan.Managed.Where(p => p.Streamed))
            BlockStorage.Hollow(model.Layers.UniqueBlocks[p.Block], layouts[p.Block]!);
        return new OffloadSession(model, plan, store, layouts, steps);
    }

    private static string TensorsName(OffloadTensors tensors) => tensors.ToString().ToLowerInvariant();
}
