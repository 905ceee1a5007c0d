using System.Globalization;

namespace GiantSharp.Training;

/// <summary>
/// Collects what a run's end summary needs (an observer): the evaluations and the last checkpoint written, and says it
/// in a few lines: best and final val loss (and bits per byte), wall time, tokens seen, the final checkpoint.
/// </summary>
public sealed class RunSummary : ITrainingObserver
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private readonly List<EvalLog> _evals = [];

    /// <summary>Every evaluation seen, in order.</summary>
    public IReadOnlyList<EvalLog> Evals => _evals;

    /// <summary>The evaluation with the lowest val loss, or null before the first.</summary>
    public EvalLog? Best => _evals.MinBy(e => e.ValLoss);

    /// <summary>The last evaluation, or null before the first.</summary>
    public EvalLog? Final => _evals.LastOrDefault();

    /// <summary>The path and step of the last checkpoint written, or null.</summary>
    public (string Path, int Step)? LastCheckpoint { get; private set; }

    /// <inheritdoc />
    public void OnEval(EvalLog log) => _evals.Add(log);

    /// <inheritdoc />
    public void OnCheckpoint(string path, int step) => LastCheckpoint = (path, step);

    /// <summary>
    /// The summary lines of a run that ended (or, <paramref name="interrupted"/>, stopped) at <paramref name="step"/> after
    /// <paramref name="tokens"/> training tokens and <paramref name="trainSeconds"/> of training over all its sessions,
    /// this session having taken <paramref name="wall"/> of wall time.
    /// </summary>
    public IReadOnlyList<string> Lines(int step, long tokens, double trainSeconds, TimeSpan wall, bool interrupted = false)
    {
        var lines = new List<string>
        {
            string.Create(Inv, $"{(interrupted ? "stopped" : "done")} at step {step}: {tokens:N0} tokens seen, {trainSeconds:F1} s of training in all, {wall.TotalSeconds:F1} s wall time this session"),
        };
        if (Best is { } best && Final is { } final)
        {
            lines.Add($"val loss best {Describe(best)} at step {best.Step} ({best.Stage}); final {Describe(final)} at step {final.Step}");
        }
        else lines.Add("val loss: no evaluation ran");
        lines.Add(LastCheckpoint is { } c ? $"{(c.Step == step ? "final" : "last")} checkpoint: {c.Path}" + (c.Step == step ? "" : $" (step {c.Step})") : "no checkpoint written");
        return lines;
    }

    private static string Describe(EvalLog e) =>
        string.Create(Inv, $"{e.ValLoss:F4} nats/token") + (e.BitsPerByte is { } bpb ? string.Create(Inv, $" = {bpb:F4} bits/byte") : "");
}
