using TorchSharp;
using static TorchSharp.torch;

namespace GiantSharp.Model;

/// <summary>Creates the FFN of an MoE layer. The MoE module lives in <c>Model/Moe</c> (issue 4).</summary>
internal static class FeedForwardFactory
{
    public static nn.Module<Tensor, Tensor> CreateMoe(ModelConfig config) =>
        throw new Errors.ConfigException("model.moe", "mixture-of-experts layers are not available in this build");
}
