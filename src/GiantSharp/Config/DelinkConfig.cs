using GiantSharp.Sharing;

namespace GiantSharp.Config;

/// <summary>How a stage switch delinks (JSON key <c>delink</c>).</summary>
public sealed record DelinkConfig
{
    /// <summary>How AdamW moments follow the weights: <c>copy</c>, <c>scale</c> or <c>reset</c> (docs/delinking.md).</summary>
    public OptimizerStateDelink OptimizerState { get; init; } = OptimizerStateDelink.Scale;
    /// <summary>When to delink: at the end of the sharing stage (<c>scheduled</c>) or when the shared layers' gradients stop agreeing (<c>auto</c>).</summary>
    public DelinkTiming When { get; init; } = DelinkTiming.Scheduled;
    /// <summary>With <c>auto</c>: steps between measurements of the gradient agreement (each costs about two training steps).</summary>
    public int CheckEvery { get; init; } = 10;
    /// <summary>With <c>auto</c>: the mean agreement (cosine, in [-1, 1]) below which a check counts as disagreeing; Yang et al. 2021 use 0.5.</summary>
    public double Threshold { get; init; } = 0.5;
    /// <summary>With <c>auto</c>: disagreeing checks in a row that trigger the delink.</summary>
    public int Patience { get; init; } = 3;

    /// <summary>Checks the fields.</summary>
    /// <exception cref="Errors.ConfigException">The first bad field, by key.</exception>
    public void Validate()
    {
        if (!Enum.IsDefined(OptimizerState)) throw new Errors.ConfigException("delink.optimizer_state", $"must be 'copy', 'scale' or 'reset', got {(int)OptimizerState}");
        if (!Enum.IsDefined(When)) throw new Errors.ConfigException("delink.when", $"must be 'scheduled' or 'auto', got {(int)When}");
        if (CheckEvery < 1) throw new Errors.ConfigException("delink.check_every", $"must be >= 1 step, got {CheckEvery}");
        if (Threshold is < -1 or > 1 || double.IsNaN(Threshold)) throw new Errors.ConfigException("delink.threshold", $"must be a cosine in [-1, 1], got {Threshold}");
        if (Patience < 1) throw new Errors.ConfigException("delink.patience", $"must be >= 1 check, got {Patience}");
    }
}
