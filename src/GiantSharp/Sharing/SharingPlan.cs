using System.Text.Json.Serialization;
using GiantSharp.Errors;
using GiantSharp.Model;

namespace GiantSharp.Sharing;

/// <summary>
/// Cross-layer parameter sharing of a layer stack (policy; <see cref="LayerStack.Rewire"/> is the mechanism).
/// <c>none</c>: every layer its own block (the Real Giant). <c>all</c>: one block for every layer (the Pseudo
/// Giant, M6-10T sec. 3.1; ALBERT all-shared). <c>group</c>: <see cref="Groups"/> unique blocks, layer i using
/// block i mod k (<c>cycle</c>) or i / (n_layer / k) (<c>sequence</c>) (Takase &amp; Kiyono 2021, "cycle"/"sequence").
/// In JSON: <c>"all"</c>, <c>"none"</c>, or <c>{"mode": "group", "groups": 4, "order": "cycle"}</c>.
/// </summary>
[JsonConverter(typeof(SharingPlanJsonConverter))]
public sealed record SharingPlan
{
    /// <summary>No sharing: the Real Giant.</summary>
    public static SharingPlan None { get; } = new() { Mode = "none" };
    /// <summary>All layers share one block: the Pseudo Giant.</summary>
    public static SharingPlan All { get; } = new() { Mode = "all" };

    /// <summary><c>none</c>, <c>all</c> or <c>group</c>.</summary>
    public string Mode { get; init; } = "none";
    /// <summary>Unique blocks (k) for <c>group</c>.</summary>
    public int Groups { get; init; } = 1;
    /// <summary><c>cycle</c> (layer i uses block i mod k) or <c>sequence</c> (block i / (n_layer / k)), for <c>group</c>.</summary>
    public string Order { get; init; } = "cycle";

    /// <summary>Creates a group plan with <paramref name="groups"/> unique blocks.</summary>
    public static SharingPlan Group(int groups, string order = "cycle") => new() { Mode = "group", Groups = groups, Order = order };

    /// <summary>The layer-to-block map for a stack of <paramref name="nLayer"/> layers.</summary>
    /// <exception cref="ConfigException">The plan does not fit n_layer.</exception>
    public int[] LayerMap(int nLayer, string key = "sharing")
    {
        Validate(nLayer, key);
        return BuildMap(nLayer);
    }

    /// <summary>Number of unique blocks this plan gives a stack of <paramref name="nLayer"/> layers.</summary>
    public int UniqueBlocks(int nLayer) => Mode switch { "none" => nLayer, "all" => 1, _ => Groups };

    /// <summary>Checks the plan against n_layer and, when <paramref name="model"/> is given, that layers sharing a block agree on dense/MoE.</summary>
    /// <exception cref="ConfigException">A field is invalid; the message names <paramref name="key"/>.</exception>
    public void Validate(int nLayer, string key = "sharing", ModelConfig? model = null)
    {
        if (Mode is not ("none" or "all" or "group")) throw new ConfigException($"{key}.mode", $"must be 'none', 'all' or 'group', got '{Mode}'");
        if (Mode == "group")
        {
            if (Groups < 1 || Groups > nLayer) throw new ConfigException($"{key}.groups", $"must be in [1, n_layer = {nLayer}], got {Groups}");
            if (Order is not ("cycle" or "sequence")) throw new ConfigException($"{key}.order", $"must be 'cycle' or 'sequence', got '{Order}'");
            if (Order == "sequence" && nLayer % Groups != 0) throw new ConfigException($"{key}.groups", $"sequence order needs n_layer = {nLayer} divisible by groups = {Groups}");
        }
        if (model?.Moe is null) return;
        var map = BuildMap(nLayer);
        var firstOfBlock = new Dictionary<int, int>();
        for (int i = 0; i < nLayer; i++)
        {
            if (!firstOfBlock.TryAdd(map[i], i) && GptModel.IsMoeLayer(model, i) != GptModel.IsMoeLayer(model, firstOfBlock[map[i]]))
                throw new ConfigException(key, $"layers {firstOfBlock[map[i]]} and {i} would share a block but only one is MoE (model.moe.moe_every = {model.Moe.MoeEvery})");
        }
    }

    private int[] BuildMap(int nLayer) => Mode switch
    {
        "none" => Enumerable.Range(0, nLayer).ToArray(),
        "all" => new int[nLayer],
        _ when Order == "cycle" => Enumerable.Range(0, nLayer).Select(i => i % Groups).ToArray(),
        _ => Enumerable.Range(0, nLayer).Select(i => i / (nLayer / Groups)).ToArray(),
    };

    /// <inheritdoc />
    public override string ToString() => Mode == "group" ? $"group:{Groups}:{Order}" : Mode;
}
