using GiantSharp.Model;
using GiantSharp.Offload.Storage;
using static TorchSharp.torch;

namespace GiantSharp.Offload;

/// <summary>
/// Managed-tensor layouts of blocks whose streamed parameters are hollow (shape (0,)), read from one fresh block per
/// kind (dense or MoE), which exists only while its shapes are read; the global generator is left as it was.
/// </summary>
internal sealed class BlockShapes(OffloadPlan plan)
{
    private readonly Dictionary<bool, TensorLayout> _byKind = new();

    /// <summary>The layout the plan manages for blocks like <paramref name="block"/>.</summary>
    public TensorLayout Layout(TransformerBlock block)
    {
        if (_byKind.TryGetValue(block.IsMoe, out var layout)) return layout;
        using var rng = random.get_rng_state();                             // the template's initialisation must not move dropout's generator
        try
        {
            using var template = new TransformerBlock(block.Config, block.IsMoe);
            return _byKind[block.IsMoe] = plan.LayoutOf(template);
        }
        finally { random.set_rng_state(rng); }
    }
}
