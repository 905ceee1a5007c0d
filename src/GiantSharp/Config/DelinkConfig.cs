using GiantSharp.Sharing;

namespace GiantSharp.Config;

/// <summary>How a stage switch delinks (JSON key <c>delink</c>).</summary>
public sealed record DelinkConfig
{
    /// <summary>How AdamW moments follow the weights: <c>copy</c>, <c>scale</c> or <c>reset</c> (docs/delinking.md).</summary>
    public OptimizerStateDelink OptimizerState { get; init; } = OptimizerStateDelink.Scale;
}
