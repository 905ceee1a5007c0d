using GiantSharp.Checkpointing;
using GiantSharp.Config;
using GiantSharp.Errors;
using GiantSharp.Model;
using GiantSharp.Training.Optim;

namespace GiantSharp.Offload;

/// <summary>
/// Reads the offload part of a checkpoint (<see cref="CheckpointStore.OffloadPart"/>, written while a stage
/// streamed its layers) back into a whole, resident model, for evaluation, sampling or offline delinking.
/// </summary>
public static class OffloadedCheckpoint
{
    /// <summary>
    /// Fills the parameters of <paramref name="model"/> (built whole, with the checkpoint's layer map) that the
    /// checkpoint holds in its offload part, and puts their AdamW moments and step counts into
    /// <paramref name="optimizer"/>, beside what it holds. Does nothing when the checkpoint has no offload part.
    /// Disk-tier groups are read into host memory, so the model must fit there.
    /// </summary>
    /// <param name="checkpoint">The checkpoint folder.</param>
    /// <param name="state">Its train state (says whether there is an offload part).</param>
    /// <param name="model">The whole model, every parameter with storage.</param>
    /// <param name="run">The run's config (its offload section, or memory plan, says which layers and tensors the part holds).</param>
    /// <param name="optimizer">Receives the offloaded parameters' AdamW state.</param>
    /// <exception cref="DataException">The part does not match the model, or the run has no offload section.</exception>
    /// <exception cref="ConfigException">The model does not fit in host memory.</exception>
    public static void Restore(string checkpoint, TrainState state, GptModel model, RunConfig run, AdamW optimizer)
    {
        if (PartOf(checkpoint, state) is not { } part) return;
        var stage = Math.Clamp(state.StageIndex, 0, run.Stages.Count - 1);
        var config = run.Offload is null ? null : Planning.StageOffload.Resolve(run, stage, state.LayerToBlock);
        if (config is null) throw new DataException(part, "the checkpoint's config has no 'offload' section (or stage) to read this part with");
        var host = config with
        {
            Params = OffHost(config.Params), Grads = OffHost(config.Grads), Optimizer = OffHost(config.Optimizer), Dir = null,
            Placement = config.Placement?.Select(t => t is null ? null : new LayerTiers(OffHost(t.Params), OffHost(t.Grads), OffHost(t.Optimizer))).ToArray(),   // a budget's plan, per layer
        };
        using var session = OffloadSession.Load(part, model, host);
        session.Detach(optimizer);
    }

    /// <summary>
    /// Builds the model of an offloaded run's checkpoint for resuming, never whole: every block is built from a template
    /// of its kind, and the tensors the checkpoint keeps in its offload part are hollowed block by block, so memory
    /// holds the resident part plus one block. The other weights come from <c>model.safetensors</c>; the hollow ones
    /// come back when <see cref="OffloadSession.Load"/> reads the part. Without an offload part it is
    /// <see cref="CheckpointStore.LoadModel"/>.
    /// </summary>
    /// <param name="checkpoint">The checkpoint folder.</param>
    /// <param name="config">The run.</param>
    /// <param name="state">Its train state.</param>
    /// <param name="offload">The offload configuration of the stage the checkpoint was taken in (resolved from max_memory where set), or null.</param>
    /// <exception cref="DataException">The weights do not match the config, or the offload part is missing.</exception>
    public static GptModel LoadModel(string checkpoint, RunConfig config, TrainState state, OffloadConfig? offload)
    {
        if (PartOf(checkpoint, state) is null || offload is null) return CheckpointStore.LoadModel(checkpoint, config, state);
        var map = state.LayerToBlock;
        var plan = OffloadAccounting.Plan(config.Model, map, offload);
        var kinds = map.Select((_, layer) => GptModel.IsMoeLayer(config.Model, layer)).ToArray();
        var kindOrder = kinds.Distinct().ToList();
        var model = new GptModel(config.Model, kinds.Select(k => kindOrder.IndexOf(k)).ToArray());   // one template block per kind
        var templates = model.Layers.UniqueBlocks.ToArray();
        var firstLayers = LayerStack.FirstLayers(map);
        var blocks = new TransformerBlock[firstLayers.Length];
        try
        {
            for (int b = 0; b < blocks.Length; b++)
            {
                var template = templates[kindOrder.IndexOf(kinds[firstLayers[b]])];
                blocks[b] = template.Clone();
                if (plan.Blocks[b] is { Streamed: true }) Streaming.BlockStorage.Hollow(blocks[b], plan.LayoutOf(template));
            }
            model.Layers.Rewire(blocks, map);
            foreach (var t in templates) t.Dispose();
            CheckpointStore.LoadInto(model, checkpoint, state.Offloaded);
            return model;
        }
        catch
        {
            foreach (var blk in blocks) blk?.Dispose();
            model.Dispose();
            throw;
        }
    }

    /// <summary>The checkpoint's offload part, or null when it has none.</summary>
    /// <exception cref="DataException">The state says there is a part (or lists offloaded parameters) but its folder is missing.</exception>
    public static string? PartOf(string checkpoint, TrainState state)
    {
        var part = Path.Combine(checkpoint, CheckpointStore.OffloadPart);
        if (Directory.Exists(part)) return part;
        if (state.OffloadPart || state.Offloaded.Length > 0)
            throw new DataException(part, $"is missing, but state.json says the checkpoint keeps {(state.Offloaded.Length > 0 ? $"{state.Offloaded.Length} offloaded tensors" : "offloaded optimizer state")} there");
        return null;
    }

    private static Tier OffHost(Tier tier) => tier == Tier.Disk ? Tier.Host : tier;
}
