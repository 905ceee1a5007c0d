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

    /// <summary>
    /// The val loss in bits per UTF-8 byte of text (<see cref="BitsPerByteOf"/>), comparable between byte- and
    /// BPE-tokenized runs; null where the corpus does not know its bytes.
    /// </summary>
    public double? BitsPerByte { get; init; }

    /// <summary>
    /// Bits per byte of a loss of <paramref name="lossNats"/> nats per token on text of <paramref name="tokensPerByte"/>
    /// tokens per byte: loss / ln 2 * tokens / bytes.
    /// </summary>
    public static double BitsPerByteOf(double lossNats, double tokensPerByte) => lossNats / Math.Log(2) * tokensPerByte;
}
