using GiantSharp.Model;
using GiantSharp.Model.Moe;
using GiantSharp.Offload.Storage;
using static TorchSharp.torch;

namespace GiantSharp.Offload;

/// <summary>
/// The policy of which parameters of an offloaded block go to the store (<see cref="OffloadTensors"/>), in two
/// forms that agree: by tensor, for a built block, and by count, from the model shape alone (<c>giant info</c>).
/// Parameters of the block that are not managed stay on the device and in the resident optimizer.
/// </summary>
public static class ManagedTensors
{
    /// <summary>
    /// The layout of <paramref name="block"/>'s managed parameters, in registration order, named relative to the
    /// block (e.g. <c>mlp.experts.w_fc</c>); empty when none are (a dense block under <see cref="OffloadTensors.Experts"/>).
    /// </summary>
    public static TensorLayout Layout(OffloadTensors tensors, nn.Module block)
    {
        if (tensors == OffloadTensors.All) return TensorLayout.Of(block);
        var prefixes = block.named_modules().Where(m => m.module is MoeExperts).Select(m => m.name + ".").ToArray();
        return TensorLayout.Of(block, name => prefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal)));
    }

    /// <summary>Managed parameters of one block of shape <paramref name="config"/> (agrees with <see cref="Layout"/>'s numel).</summary>
    /// <param name="tensors">The selection.</param>
    /// <param name="config">The model shape.</param>
    /// <param name="isMoe">Whether the block's FFN is a mixture of experts.</param>
    public static long Numel(OffloadTensors tensors, ModelConfig config, bool isMoe) => tensors switch
    {
        OffloadTensors.All => ModelSize.BlockParameters(config, isMoe),
        _ => isMoe ? config.Moe!.NumExperts * ModelSize.ExpertParameters(config) : 0,
    };
}
