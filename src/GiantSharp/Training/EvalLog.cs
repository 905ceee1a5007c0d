namespace GiantSharp.Training;

/// <summary>A validation result.</summary>
/// <param name="Stage">Stage name.</param>
/// <param name="Step">Optimizer steps completed.</param>
/// <param name="ValLoss">Mean validation cross-entropy, nats per token.</param>
/// <param name="Tokens">Training tokens consumed so far.</param>
/// <param name="TrainSeconds">Seconds spent in training steps so far.</param>
public sealed record EvalLog(string Stage, int Step, double ValLoss, long Tokens, double TrainSeconds)
{
    /// <summary>Validation perplexity: exp(val loss).</summary>
    public double Perplexity => Math.Exp(ValLoss);
}
