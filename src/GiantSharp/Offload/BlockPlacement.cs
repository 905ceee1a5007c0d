namespace GiantSharp.Offload;

/// <summary>
/// Where one unique block of the layer stack keeps its state under an <see cref="OffloadPlan"/>.
/// A block shared by several layers (the Pseudo Giant) keeps parameters and gradients on the device, as it is
/// needed at every depth; its gradient is summed there over the layers that apply it.
/// </summary>
/// <param name="Block">Index into <see cref="Model.LayerStack.UniqueBlocks"/>.</param>
/// <param name="Layers">The layers that apply this block, ascending.</param>
/// <param name="Params">Tier of the parameters; not <see cref="Tier.Device"/> means the block streams in per layer.</param>
/// <param name="Grads">Tier the gradients are accumulated on.</param>
/// <param name="Optimizer">Tier of the AdamW moments, where the update runs.</param>
/// <param name="Numel">Parameters of the block the store manages (all, or its experts: <see cref="OffloadConfig.Tensors"/>); the rest stay resident.</param>
public sealed record BlockPlacement(int Block, IReadOnlyList<int> Layers, Tier Params, Tier Grads, Tier Optimizer, long Numel)
{
    /// <summary>Whether the block's parameters stream to the device per use (they live on host or disk).</summary>
    public bool Streamed => Params != Tier.Device;
}
