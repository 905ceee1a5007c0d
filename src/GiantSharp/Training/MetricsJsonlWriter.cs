using System.Text.Json;

namespace GiantSharp.Training;

/// <summary>Appends one JSON object per step and per evaluation to a <c>metrics.jsonl</c> file (flushed per line).</summary>
public sealed class MetricsJsonlWriter : ITrainingObserver, IDisposable
{
    private readonly StreamWriter _writer;

    /// <summary>Opens <paramref name="path"/> for appending (a resumed run continues the file).</summary>
    public MetricsJsonlWriter(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _writer = new StreamWriter(path, append: true) { AutoFlush = true };
    }

    /// <inheritdoc />
    public void OnStep(StepLog log)
    {
        var row = new Dictionary<string, object>
        {
            ["type"] = "step", ["stage"] = log.Stage, ["step"] = log.Step, ["loss"] = log.Loss, ["lr"] = log.Lr,
            ["grad_norm"] = log.GradNorm, ["tokens"] = log.Tokens, ["train_seconds"] = log.TrainSeconds,
            ["tokens_per_second"] = log.TokensPerSecond,
        };
        if (log.AuxLoss != 0) row["aux_loss"] = log.AuxLoss;
        foreach (var (k, v) in log.Metrics) row[k] = v;
        _writer.WriteLine(JsonSerializer.Serialize(row));
    }

    /// <inheritdoc />
    public void OnEval(EvalLog log) => _writer.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["type"] = "eval", ["stage"] = log.Stage, ["step"] = log.Step, ["val_loss"] = log.ValLoss,
        ["val_perplexity"] = log.Perplexity, ["tokens"] = log.Tokens, ["train_seconds"] = log.TrainSeconds,
    }));

    /// <inheritdoc />
    public void Dispose() => _writer.Dispose();
}
