using System.Text.Json;

namespace GiantSharp.Training;

/// <summary>
/// Appends one JSON object per step and per evaluation to a <c>metrics.jsonl</c> file (flushed per line). MoE
/// expert loads are summarised, and listed per expert only up to <see cref="ExpertLoads.ListedUpTo"/> experts.
/// </summary>
public sealed class MetricsJsonlWriter : ITrainingObserver, IDisposable
{
    private readonly StreamWriter _writer;

    /// <summary>
    /// Opens <paramref name="path"/> for appending after dropping its records of steps after
    /// <paramref name="fromStep"/>: a run resumed from an earlier checkpoint logs those steps again, and a fresh run
    /// (step 0) in an old folder starts a fresh file.
    /// </summary>
    /// <param name="path">The metrics file.</param>
    /// <param name="fromStep">The optimizer step the run continues from (0 for a fresh run).</param>
    public MetricsJsonlWriter(string path, int fromStep = 0)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        if (File.Exists(path)) KeepUpTo(path, fromStep);
        _writer = new StreamWriter(path, append: true) { AutoFlush = true };
    }

    private static void KeepUpTo(string path, int step)
    {
        var kept = File.ReadLines(path).Where(line => StepOf(line) is { } s && s <= step).ToList();
        var temp = path + ".tmp";
        File.WriteAllLines(temp, kept);
        File.Move(temp, path, overwrite: true);
    }

    private static int? StepOf(string line)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            return doc.RootElement.TryGetProperty("step", out var s) && s.TryGetInt32(out var v) ? v : null;
        }
        catch (JsonException) { return null; }
    }

    /// <inheritdoc />
    public void OnStep(StepLog log)
    {
        var row = new Dictionary<string, object>
        {
            ["type"] = "step", ["stage"] = log.Stage, ["step"] = log.Step, ["loss"] = log.Loss, ["lr"] = log.Lr,
            ["grad_norm"] = log.GradNorm, ["tokens"] = log.Tokens, ["train_seconds"] = log.TrainSeconds,
            ["tokens_per_second"] = log.TokensPerSecond,
            ["peak_rss_bytes"] = log.PeakResidentBytes,
        };
        if (log.AuxLoss != 0) row["aux_loss"] = log.AuxLoss;
        var (loads, others) = ExpertLoads.Split(log.Metrics);
        foreach (var (k, v) in others) row[k] = v;
        if (loads.Count > 0)
        {
            foreach (var (k, v) in ExpertLoads.Summary(loads)) row[k] = v;
            if (loads.Count <= ExpertLoads.ListedUpTo)
                for (int e = 0; e < loads.Count; e++) row[ExpertLoads.Prefix + e] = loads[e];
        }
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
