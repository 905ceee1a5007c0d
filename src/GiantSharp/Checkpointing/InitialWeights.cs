using System.Text.Json;
using System.Text.Json.Nodes;
using GiantSharp.Config;
using GiantSharp.Data;
using GiantSharp.Errors;
using GiantSharp.Model;
using static TorchSharp.torch;

namespace GiantSharp.Checkpointing;

/// <summary>
/// The weights a fresh run starts from (<c>giant train --init-from</c>, litgpt's <c>--initial_checkpoint_dir</c>):
/// any checkpoint's model, shared or delinked, offloaded or not, copied into a new model of the run's config wired
/// as its first stage. Only the weights travel; step, schedule and AdamW state start afresh.
/// </summary>
public static class InitialWeights
{
    /// <summary>Model keys that do not change the tensors (regularisation, numerics, routing coefficients): they may differ from the checkpoint's.</summary>
    private static readonly HashSet<string> FreeKeys = ["dropout", "init_std", "layer_norm_eps", "moe.capacity_factor", "moe.aux_loss_coef", "moe.router_z_loss_coef", "moe.router_jitter"];

    /// <summary>
    /// A model of <paramref name="config"/> wired per <paramref name="map"/> (the first stage's sharing), holding the
    /// weights of the checkpoint at <paramref name="path"/> (a checkpoint, store or run folder). The checkpoint is read
    /// whole (its offload part included), so memory must hold it once besides the new model.
    /// </summary>
    /// <param name="path">The checkpoint.</param>
    /// <param name="config">The new run (vocab_size resolved).</param>
    /// <param name="tokenizer">The new run's corpus tokenizer, which must be the checkpoint's.</param>
    /// <param name="map">The first stage's layer-to-block map, which must be the checkpoint's.</param>
    /// <returns>The model and the checkpoint folder it came from.</returns>
    /// <exception cref="ConfigException">The shape (key <c>model.*</c>) or the sharing (<c>stages[0].sharing</c>) differs from the checkpoint's; the message names both values.</exception>
    /// <exception cref="DataException">No checkpoint there, a damaged one, or another tokenizer.</exception>
    public static (GptModel Model, string Checkpoint) Load(string path, RunConfig config, ITokenizer tokenizer, IReadOnlyList<int> map)
    {
        using var source = LoadedCheckpoint.Open(path);
        var dir = source.Directory;
        if (source.Tokenizer.Identity != tokenizer.Identity)
            throw new DataException(dir, $"was trained with tokenizer {source.Tokenizer.Identity}; this run's corpus ({config.Data.Dir}) has {tokenizer.Identity}");
        if (ShapeDifference(source.Config.Model, config.Model) is { } differs)
            throw new ConfigException($"model.{differs.Key}", $"is {differs.Ours} but checkpoint {dir} has {differs.Theirs}; --init-from needs the same shape");
        if (!source.State.LayerToBlock.SequenceEqual(map))
            throw new ConfigException("stages[0].sharing", $"is '{config.Stages[0].Sharing}' (layer to block [{string.Join(",", map)}]) but checkpoint {dir} has [{string.Join(",", source.State.LayerToBlock)}]" +
                (source.State.LayerToBlock.Distinct().Count() < map.Count ? $"; delink it first (giant delink {dir} OUT) or start with the sharing it has" : "; start with the sharing it has"));
        var model = new GptModel(config.Model, map);
        using var _ = no_grad();
        var theirs = source.Model.state_dict();
        foreach (var (name, t) in model.state_dict())
            t.copy_(theirs[name]);
        return (model, dir);
    }

    /// <summary>The first model key, other than <see cref="FreeKeys"/>, whose value differs, with both values; null when the shapes agree.</summary>
    private static (string Key, string Ours, string Theirs)? ShapeDifference(ModelConfig theirs, ModelConfig ours)
    {
        var a = Flatten(JsonSerializer.SerializeToNode(ours, ConfigLoader.JsonOptions)!);
        var b = Flatten(JsonSerializer.SerializeToNode(theirs, ConfigLoader.JsonOptions)!);
        if (ours.Positional == "rope" && theirs.Positional == "rope") { a.Remove("seq_len"); b.Remove("seq_len"); }   // rotary positions have no weights
        foreach (var key in a.Keys.Union(b.Keys).Where(k => !FreeKeys.Contains(k)))
        {
            var x = a.GetValueOrDefault(key, "none");
            var y = b.GetValueOrDefault(key, "none");
            if (x != y) return (key, x, y);
        }
        return null;
    }

    private static Dictionary<string, string> Flatten(JsonNode node, string prefix = "")
    {
        var flat = new Dictionary<string, string>();
        if (node is JsonObject obj)
            foreach (var (k, v) in obj)
            {
                var key = prefix.Length == 0 ? k : $"{prefix}.{k}";
                if (v is JsonObject) foreach (var kv in Flatten(v, key)) flat[kv.Key] = kv.Value;
                else flat[key] = v?.ToJsonString() ?? "none";
            }
        return flat;
    }
}
