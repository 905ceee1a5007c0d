using GiantSharp.Model;

namespace GiantSharp.Offload;

/// <summary>
/// Offload policy: for each unique block of a layer stack, which of its parameters the store manages
/// (<see cref="OffloadConfig.Tensors"/>: all, or only the MoE experts), where those parameters, their gradients
/// and AdamW moments live (<see cref="BlockPlacement"/>, or null when the block stays resident), how far ahead streamed layers
/// are fetched, and the bytes this puts on each tier. It moves nothing: <see cref="Storage.TensorStore"/> is
/// the mechanism. Source: M6-10T (Lin et al. 2021) sec. 3.2 granular offloading; the coordinator/swapper
/// split of ZeRO-Infinity (Rajbhandari et al. 2021, sec. 6).
/// </summary>
public sealed class OffloadPlan
{
    private OffloadPlan(OffloadConfig config, int[] layerToBlock, BlockPlacement?[] blocks, OffloadFootprint footprint)
    {
        Config = config;
        LayerToBlock = layerToBlock;
        Blocks = blocks;
        Footprint = footprint;
    }

    /// <summary>The configuration the plan was made from.</summary>
    public OffloadConfig Config { get; }
    /// <summary>For each layer, the unique block it applies.</summary>
    public IReadOnlyList<int> LayerToBlock { get; }
    /// <summary>Per unique block: its placement, or null when it stays resident (parameters, gradients and moments on the device).</summary>
    public IReadOnlyList<BlockPlacement?> Blocks { get; }
    /// <summary>Bytes on each tier.</summary>
    public OffloadFootprint Footprint { get; }
    /// <summary>How many layers ahead of the computing one are fetched in the background.</summary>
    public int PrefetchDepth => Config.Prefetch;
    /// <summary>The blocks whose state the store holds, in block order.</summary>
    public IEnumerable<BlockPlacement> Managed => Blocks.OfType<BlockPlacement>();
    /// <summary>Whether layer <paramref name="layer"/>'s block streams in from host or disk.</summary>
    public bool IsStreamed(int layer) => Blocks[LayerToBlock[layer]]?.Streamed ?? false;

    /// <summary>
    /// Plans a stack from its layer-to-block map and sizes alone (no tensors needed, so <c>giant info</c> can
    /// plan models that do not fit). A block is offloaded when any layer applying it is selected.
    /// </summary>
    /// <param name="config">The offload configuration.</param>
    /// <param name="layerToBlock">For each layer, its unique block.</param>
    /// <param name="blockNumel">Parameters per unique block.</param>
    /// <param name="residentNumel">Parameters outside the stack (embeddings, final norm), always resident.</param>
    /// <param name="key">Config key prefix for errors.</param>
    /// <param name="managedNumel">
    /// Per unique block, the parameters the store manages when the block is offloaded (<see cref="ManagedTensors"/>
    /// under <see cref="OffloadConfig.Tensors"/>); the rest of an offloaded block stays on the device. Default: all
    /// of <paramref name="blockNumel"/>, allowed only with <see cref="OffloadTensors.All"/>. A block managing nothing stays resident.
    /// </param>
    /// <exception cref="Errors.ConfigException">The configuration does not fit the stack (e.g. <c>tensors: experts</c> without MoE layers).</exception>
    /// <exception cref="ArgumentException"><paramref name="managedNumel"/> is missing under <see cref="OffloadTensors.Experts"/>, or of the wrong length.</exception>
    /// <param name="deviceIsCpu">Whether the compute device is the CPU (host memory is then used in place, with no staging copy).</param>
    public static OffloadPlan Create(OffloadConfig config, IReadOnlyList<int> layerToBlock, IReadOnlyList<long> blockNumel, long residentNumel,
        string key = "offload", IReadOnlyList<long>? managedNumel = null, bool deviceIsCpu = true)
    {
        config.Validate(layerToBlock.Count, key);
        if (managedNumel is null && config.Tensors != OffloadTensors.All)
            throw new ArgumentException($"the managed parameters per block are needed with tensors {config.Tensors}", nameof(managedNumel));
        managedNumel ??= blockNumel;
        if (managedNumel.Count != blockNumel.Count) throw new ArgumentException($"{managedNumel.Count} managed counts for {blockNumel.Count} blocks", nameof(managedNumel));
        if (config.Tensors == OffloadTensors.Experts && managedNumel.All(n => n == 0))
            throw new Errors.ConfigException($"{key}.tensors", "the model has no MoE layers, so 'experts' would offload nothing: use 'all' or give the model model.moe");
        var selected = config.Placement is { } placed ? placed.Select(t => t is not null).ToArray() : config.Layers.Resolve(layerToBlock.Count, $"{key}.layers");
        var blocks = new BlockPlacement?[blockNumel.Count];
        var layersOf = Enumerable.Range(0, blocks.Length).Select(_ => new List<int>()).ToArray();
        for (int i = 0; i < layerToBlock.Count; i++) layersOf[layerToBlock[i]].Add(i);
        for (int b = 0; b < blocks.Length; b++)
        {
            var layers = layersOf[b].ToArray();
            if (!layers.Any(i => selected[i]) || managedNumel[b] == 0) continue;
            var shared = layers.Length > 1;
            var tiers = config.Placement?[layers.First(i => selected[i])] ?? new LayerTiers(config.Params, config.Grads, config.Optimizer);
            var placement = new BlockPlacement(b, layers, shared ? Tier.Device : tiers.Params, shared ? Tier.Device : tiers.Grads, tiers.Optimizer, managedNumel[b]);
            if (placement is { Params: Tier.Device, Grads: Tier.Device, Optimizer: Tier.Device }) continue;
            blocks[b] = placement;
        }
        return new OffloadPlan(config, layerToBlock.ToArray(), blocks, Measure(config, blocks, blockNumel, residentNumel, deviceIsCpu));
    }

    /// <summary>Plans <paramref name="model"/>'s stack as it is wired now.</summary>
    /// <exception cref="Errors.ConfigException">The configuration does not fit the model.</exception>
    /// <exception cref="ArgumentException">Some parameters have no storage: the model is already offloaded.</exception>
    public static OffloadPlan For(GptModel model, OffloadConfig config)
    {
        if (model.parameters().Any(p => p.numel() == 0))
            throw new ArgumentException("some parameters have no storage: the model is already bound to an offload session", nameof(model));
        var blockNumel = model.Layers.UniqueBlocks.Select(b => b.parameters().Sum(p => p.numel())).ToArray();
        var managed = model.Layers.UniqueBlocks.Select(b => ManagedTensors.Layout(config.Tensors, b).Numel).ToArray();
        var resident = model.named_parameters().Where(p => !p.name.StartsWith(GptModel.LayersKey + ".", StringComparison.Ordinal)).Sum(p => p.parameter.numel());
        return Create(config, model.Layers.LayerToBlock, blockNumel, resident, managedNumel: managed,
            deviceIsCpu: model.parameters().First().device_type == TorchSharp.DeviceType.CPU);
    }

    /// <summary>
    /// The layout of the parameters of <paramref name="block"/> the store manages when it is offloaded (per
    /// <see cref="OffloadConfig.Tensors"/>; names relative to the block). Its other parameters stay on the device.
    /// </summary>
    public Storage.TensorLayout LayoutOf(TorchSharp.torch.nn.Module block) => ManagedTensors.Layout(Config.Tensors, block);

    /// <summary>Layers in the order a step visits them: per micro-batch, forward 0..L-1, then backward L-1..0.</summary>
    public int[] VisitOrder(int microBatches)
    {
        int n = LayerToBlock.Count;
        var order = new int[2 * n * microBatches];
        for (int m = 0, k = 0; m < microBatches; m++)
        {
            for (int i = 0; i < n; i++) order[k++] = i;
            for (int i = n - 1; i >= 0; i--) order[k++] = i;
        }
        return order;
    }

    private static OffloadFootprint Measure(OffloadConfig config, BlockPlacement?[] blocks, IReadOnlyList<long> blockNumel, long residentNumel, bool deviceIsCpu)
    {
        var tiers = new Dictionary<Tier, TierBytes> { [Tier.Device] = TierBytes.Zero, [Tier.Host] = TierBytes.Zero, [Tier.Disk] = TierBytes.Zero };
        tiers[Tier.Device] = tiers[Tier.Device].Add(residentNumel, true, true, true);
        long largestStreamed = 0;
        bool paramsCopied = false, gradsCopied = false;
        for (int b = 0; b < blocks.Length; b++)
        {
            var p = blocks[b];
            if (p is null)
            {
                tiers[Tier.Device] = tiers[Tier.Device].Add(blockNumel[b], true, true, true);
                continue;
            }
            // Parameters of the block the store does not manage (attention, router under 'experts') stay resident.
            tiers[Tier.Device] = tiers[Tier.Device].Add(blockNumel[b] - p.Numel, true, true, true);
            tiers[p.Params] = tiers[p.Params].Add(p.Numel, true, false, false);
            tiers[p.Grads] = tiers[p.Grads].Add(p.Numel, false, true, false);
            tiers[p.Optimizer] = tiers[p.Optimizer].Add(p.Numel, false, false, true);
            // A device-resident block computes its gradient on the device before it moves to its tier.
            if (!p.Streamed && p.Grads != Tier.Device) tiers[Tier.Device] = tiers[Tier.Device].Add(p.Numel, false, true, false);
            if (!p.Streamed) continue;
            largestStreamed = Math.Max(largestStreamed, p.Numel);
            paramsCopied |= !Streaming.Staging.Addressable(p.Params, deviceIsCpu);
            gradsCopied |= !Streaming.Staging.Addressable(p.Grads, deviceIsCpu);
        }
        bool anyDisk = blocks.Any(p => p is not null && (p.Params == Tier.Disk || p.Grads == Tier.Disk || p.Optimizer == Tier.Disk));
        long largestManaged = blocks.Max(p => p?.Numel ?? 0);
        long staging = Streaming.Staging.Bytes(config.Prefetch, config.KeepActivations, largestStreamed, paramsCopied, gradsCopied, anyDisk, largestManaged);
        tiers[Tier.Device] = tiers[Tier.Device].Add(0, false, false, false, staging);
        long parameters = residentNumel + blockNumel.Sum();
        return new OffloadFootprint(tiers[Tier.Device], tiers[Tier.Host], tiers[Tier.Disk], parameters);
    }
}
