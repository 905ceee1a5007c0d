using GiantSharp.Model;
using static TorchSharp.torch;

namespace GiantSharp.Offload.Streaming;

/// <summary>
/// Keeps the float addition order of resident gradient accumulation in the layer-streamed step (see
/// <see cref="LayerStreamedTrainStep"/>): earlier micro-batches' gradients wait aside while a micro-batch's
/// separate backward calls sum among themselves, then are added back in one addition.
/// </summary>
internal static class GradientSetAside
{
    /// <summary>
    /// Takes the gradients accumulated by earlier micro-batches off the parameters. Resident autograd adds a
    /// micro-batch's contributions to a parameter (head and embedding for the tied wte; every layer applying a
    /// shared block) among themselves first, then onto the earlier sum in one addition; streamed, they arrive
    /// in separate backward calls, so the earlier sum waits aside to keep the same order of float additions.
    /// </summary>
    public static List<(TorchSharp.Modules.Parameter Param, Tensor Earlier)> Take(GptModel model)
    {
        var earlier = new List<(TorchSharp.Modules.Parameter, Tensor)>();
        foreach (var p in model.parameters())
        {
            if (p.grad is not { } g) continue;
            earlier.Add((p, g));
            p.grad = null;
        }
        return earlier;
    }

    /// <summary>Adds the set-aside gradients back: grad = earlier + this micro-batch's sum, as autograd's accumulation does.</summary>
    public static void AddBack(List<(TorchSharp.Modules.Parameter Param, Tensor Earlier)> earlier)
    {
        using var _ = no_grad();
        foreach (var (p, g) in earlier)
            p.grad = p.grad is { } fresh ? g.add_(fresh) : g;
    }
}
