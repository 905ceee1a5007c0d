using GiantSharp.Model.Moe;
using TorchSharp;
using static TorchSharp.torch;

namespace GiantSharp.Model;

/// <summary>Creates the FFN of a block: dense, or a mixture of experts (<see cref="MoeFeedForward"/>) in MoE layers.</summary>
internal static class FeedForwardFactory
{
    /// <exception cref="Errors.ConfigException">The config has no valid <c>moe</c> section.</exception>
    public static nn.Module<Tensor, Tensor> CreateMoe(ModelConfig config) => new MoeFeedForward(config);
}
