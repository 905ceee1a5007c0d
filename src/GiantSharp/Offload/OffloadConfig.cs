using System.Text.Json.Serialization;
using GiantSharp.Errors;

namespace GiantSharp.Offload;

/// <summary>
/// Granular offloading of the layer stack (M6-10T, Lin et al. 2021, sec. 3.2; ZeRO-Offload, Ren et al. 2021;
/// ZeRO-Infinity, Rajbhandari et al. 2021). For the selected <see cref="Layers"/>, parameters, gradients and
/// AdamW moments each live on a <see cref="Tier"/>; the other layers, the embeddings and the head stay resident
/// on the device. JSON keys are snake_case:
/// <c>{"params": "host", "grads": "host", "optimizer": "disk", "layers": "all", "tensors": "experts", "prefetch": 2, "dir": "/nvme/giant"}</c>.
/// </summary>
public sealed record OffloadConfig
{
    /// <summary>
    /// Tier of the selected layers' fp32 parameters (4 bytes per parameter). On <c>host</c> or <c>disk</c> a layer
    /// streams to the device when needed; <c>device</c> keeps it there and offloads only gradients and moments
    /// (ZeRO-Offload style).
    /// </summary>
    public Tier Params { get; init; } = Tier.Host;
    /// <summary>Tier of the selected layers' fp32 gradients (4 bytes per parameter), accumulated there over micro-batches.</summary>
    public Tier Grads { get; init; } = Tier.Host;
    /// <summary>Tier of the selected layers' AdamW moments m and v (8 bytes per parameter); the update runs there.</summary>
    public Tier Optimizer { get; init; } = Tier.Host;
    /// <summary>Which layers are offloaded: <c>all</c>, the last N, a list, or a fraction.</summary>
    public LayerSelection Layers { get; init; } = LayerSelection.All;
    /// <summary>
    /// Which parameters of the selected layers are offloaded: <c>all</c> (the whole block) or <c>experts</c> (only
    /// the expert FFN weights of MoE blocks; attention, LayerNorms, router and dense blocks stay resident).
    /// </summary>
    public OffloadTensors Tensors { get; init; } = OffloadTensors.All;
    /// <summary>Prefetch depth, in layers: how many layers ahead of the one computing are fetched in the background (0: fetch on demand).</summary>
    public int Prefetch { get; init; } = 1;
    /// <summary>
    /// Layers at the end of the forward pass that keep their activations (autograd graph) for the backward pass
    /// instead of recomputing them, at least 1 (the last layer, whose backward comes first). Each more saves one
    /// layer's forward recompute per micro-batch, and costs that layer's activations plus one staging buffer of its
    /// parameters, which stay on the device from its forward to its backward: memory traded for speed.
    /// </summary>
    public int KeepActivations { get; init; } = 1;
    /// <summary>Directory of the disk tier's files (created if missing); required when any tier is <c>disk</c>.</summary>
    public string? Dir { get; init; }

    /// <summary>
    /// Memory budget of the run's training state, in bytes (JSON: <c>"1GiB"</c>, <c>"512MiB"</c>, or a number of bytes):
    /// resident weights, gradients, AdamW moments, staging buffers and activations; on the CPU, where device and
    /// host are one memory, the host tier counts too. When set, <see cref="Planning.MemoryPlanner"/> decides per stage
    /// what streams from where (tiers per layer, tensors, prefetch, keep_activations) and the keys it decides must
    /// not be given; a stage that fits trains resident. Not counted: the process's fixed overhead (runtime,
    /// libtorch, data), measured in docs/benchmarks.md. Convention of accelerate's and DeepSpeed's <c>max_memory</c>.
    /// </summary>
    [JsonConverter(typeof(ByteSizeJsonConverter))]
    public long? MaxMemory { get; init; }

    /// <summary>
    /// Per-layer tiers chosen by the memory planner (null entry: the layer stays resident); when set, it replaces
    /// <see cref="Params"/>, <see cref="Grads"/>, <see cref="Optimizer"/> and <see cref="Layers"/>. Not read from JSON.
    /// </summary>
    [JsonIgnore] public IReadOnlyList<LayerTiers?>? Placement { get; init; }

    /// <summary>One line for logs and tables, config words in lower case: <c>params disk, grads host, optimizer disk, layers all, tensors all, prefetch 2, keep_activations 1</c>.</summary>
    public string Summary() => Placement is { } placed
        ? $"{PlacementSummary(placed)}, tensors {Tensors.ToString().ToLowerInvariant()}, prefetch {Prefetch}, keep_activations {KeepActivations}"
        : $"params {Name(Params)}, grads {Name(Grads)}, optimizer {Name(Optimizer)}, layers {Layers}, tensors {Tensors.ToString().ToLowerInvariant()}, prefetch {Prefetch}, keep_activations {KeepActivations}";

    /// <summary>Runs of layers with the same tiers: <c>layers 0-5: params disk, grads disk, optimizer disk; layers 6-7: resident</c>.</summary>
    private static string PlacementSummary(IReadOnlyList<LayerTiers?> placed)
    {
        var runs = new List<string>();
        for (int i = 0; i < placed.Count;)
        {
            int j = i;
            while (j + 1 < placed.Count && Equals(placed[j + 1], placed[i])) j++;
            runs.Add($"{(i == j ? $"layer {i}" : $"layers {i}-{j}")}: {placed[i]?.ToString() ?? "resident"}");
            i = j + 1;
        }
        return string.Join("; ", runs);
    }

    private static string Name(Tier tier) => tier.ToString().ToLowerInvariant();

    /// <summary>Whether any tier is <see cref="Tier.Disk"/>.</summary>
    [JsonIgnore] public bool UsesDisk => Placement is { } placed
        ? placed.Any(t => t is { } l && (l.Params == Tier.Disk || l.Grads == Tier.Disk || l.Optimizer == Tier.Disk))
        : Params == Tier.Disk || Grads == Tier.Disk || Optimizer == Tier.Disk;

    /// <summary>Checks every field against a stack of <paramref name="nLayer"/> layers and throws on the first bad one.</summary>
    /// <param name="nLayer">Layers in the model (n_layer).</param>
    /// <param name="prefix">Key prefix for error messages.</param>
    /// <exception cref="ConfigException">A value is out of range; the message names the key.</exception>
    public OffloadConfig Validate(int nLayer, string prefix = "offload")
    {
        foreach (var (key, tier) in new[] { ("params", Params), ("grads", Grads), ("optimizer", Optimizer) })
            if (!Enum.IsDefined(tier)) throw new ConfigException($"{prefix}.{key}", $"must be 'device', 'host' or 'disk', got {(int)tier}");
        if (!Enum.IsDefined(Tensors)) throw new ConfigException($"{prefix}.tensors", $"must be 'all' or 'experts', got {(int)Tensors}");
        Layers.Resolve(nLayer, $"{prefix}.layers");
        if (KeepActivations < 1 || KeepActivations > nLayer)
            throw new ConfigException($"{prefix}.keep_activations", $"must be in [1, n_layer = {nLayer}] layers, got {KeepActivations}");
        if (Prefetch is < 0 or > 64) throw new ConfigException($"{prefix}.prefetch", $"must be in [0, 64] layers, got {Prefetch}");
        if (MaxMemory is <= 0) throw new ConfigException($"{prefix}.max_memory", $"must be above zero, got {MaxMemory}");
        if (Placement is { } p && p.Count != nLayer) throw new ConfigException($"{prefix}.placement", $"has {p.Count} layers, n_layer is {nLayer}");
        if (UsesDisk && string.IsNullOrWhiteSpace(Dir)) throw new ConfigException($"{prefix}.dir", "must name a directory when a tier is 'disk'");
        return this;
    }
}
