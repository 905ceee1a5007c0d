using GiantSharp.Model;

namespace GiantSharp.Sharing;

/// <summary>
/// Ties the layers of a built model according to a <see cref="SharingPlan"/>: every group keeps the block
/// of its first layer and the other blocks are dropped (disposed). Acts from outside the model on its
/// <see cref="LayerStack"/>. Source: ALBERT (Lan et al. 2020) sec. 3.1; M6-10T sec. 3.1 (Pseudo Giant).
/// To build a shared model without first allocating every block, pass the plan's map to the
/// <see cref="GptModel"/> constructor instead.
/// </summary>
public static class SharingTransform
{
    /// <summary>Rewires <paramref name="model"/>'s stack to <paramref name="plan"/>. Optimizer state is not touched.</summary>
    /// <exception cref="Errors.ConfigException">The plan does not fit the model.</exception>
    public static void Apply(GptModel model, SharingPlan plan)
    {
        var stack = model.Layers;
        var map = plan.LayerMap(stack.NumLayers);
        plan.Validate(stack.NumLayers, "sharing", model.Config);
        var blocks = new TransformerBlock[map.Max() + 1];
        for (int layer = 0; layer < map.Length; layer++)
            blocks[map[layer]] ??= stack.LayerBlock(layer);
        var dropped = stack.UniqueBlocks.Except(blocks).ToList();
        stack.Rewire(blocks, map);
        foreach (var b in dropped) b.Dispose();
    }
}
