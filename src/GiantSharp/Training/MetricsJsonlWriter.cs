using System.Text.Json;

namespace GiantSharp.Training;

/// <summary>
/// Appends one JSON object per line to a <c>metrics.jsonl</c> file (flushed per line): <c>"type": "step"</c> per
/// optimizer step, and events (<c>"type": "event"</c>, or <c>"eval"</c>), each with <c>"event"</c>, <c>"step"</c> and
/// <c>"time"</c> (ISO-8601 UTC): <c>run_start</c>
/// (or <c>resume</c>), <c>stage_start</c>, <c>delink</c> (just before the <c>stage_start</c> of the delinked stage),
/// <c>eval</c> (<c>"type": "eval"</c>, with val_loss and, where the corpus knows its bytes, val_bpb) and
/// <c>checkpoint</c>. MoE expert loads are summarised, and listed per expert only up to
/// <see cref="ExpertLoads.ListedUpTo"/> experts.
/// </summary>
public sealed class MetricsJsonlWriter : ITrainingObserver, IDisposable
{
    private readonly StreamWriter _writer;
    private readonly int _fromStep;
    private readonly Func<DateTimeOffset> _clock;
    private string? _stage;
    private bool _resumeSaid;

    /// <summary>
    /// Opens <paramref name="path"/> for appending after dropping its records of steps after
    /// <paramref name="fromStep"/>: a run resumed from an earlier checkpoint logs those steps again, and a fresh run
    /// (step 0) in an old folder starts a fresh file.
    /// </summary>
    /// <param name="path">The metrics file.</param>
    /// <param name="fromStep">The optimizer step the run continues from (0 for a fresh run).</param>
    /// <param name="clock">The events' time (default: now, UTC).</param>
    public MetricsJsonlWriter(string path, int fromStep = 0, Func<DateTimeOffset>? clock = null)
    {
        _fromStep = fromStep;
        _clock = clock ?? (() => DateTimeOffset.UtcNow);
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
            ["tokens_per_second"] = log.TokensPerSecond, ["step_seconds"] = log.StepSeconds,
            ["peak_rss_bytes"] = log.PeakResidentBytes,
        };
        if (log.Mfu is { } mfu) row["mfu"] = mfu;
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
    public void OnEval(EvalLog log)
    {
        var row = new Dictionary<string, object>
        {
            ["type"] = "eval", ["stage"] = log.Stage, ["val_loss"] = log.ValLoss,
            ["val_perplexity"] = log.Perplexity, ["tokens"] = log.Tokens, ["train_seconds"] = log.TrainSeconds,
        };
        if (log.BitsPerByte is { } bpb) row["val_bpb"] = bpb;
        Event("eval", log.Step, row);
    }

    /// <inheritdoc />
    public void OnRunStart(RunStart start)
    {
        _resumeSaid = start.Step > 0;
        Event(start.Step > 0 ? "resume" : "run_start", start.Step, new()
        {
            ["name"] = start.Name, ["precision"] = start.Precision, ["active_parameters"] = start.ActiveParameters, ["flops_per_token"] = start.FlopsPerToken,
            ["stored_parameters"] = start.Stages.Select(s => s.StoredParameters).ToArray(), ["tokens_per_step"] = start.Stages.Select(s => s.TokensPerStep).ToArray(),
            ["placement"] = start.Stages.Select(s => s.Placement).ToArray(),
        });
    }

    /// <inheritdoc />
    public void OnStageStart(int stageIndex, Config.StageConfig stage, int step, bool delinked)
    {
        var previous = _stage;
        _stage = stage.Name;
        if (!delinked && _resumeSaid && step == _fromStep && previous is null) return;   // a resumed run re-entering its stage: logged before
        if (delinked) Event("delink", step, new() { ["from_stage"] = previous ?? "", ["to_stage"] = stage.Name, ["sharing"] = stage.Sharing.ToString() });
        Event("stage_start", step, new() { ["stage"] = stage.Name, ["stage_index"] = stageIndex, ["sharing"] = stage.Sharing.ToString(), ["delinked"] = delinked });
    }

    /// <inheritdoc />
    public void OnCheckpoint(string path, int step) => Event("checkpoint", step, new() { ["path"] = path });

    private void Event(string name, int step, Dictionary<string, object> fields)
    {
        var row = new Dictionary<string, object>
        {
            ["type"] = fields.GetValueOrDefault("type") ?? "event", ["event"] = name, ["step"] = step,
            ["time"] = _clock().UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        };
        foreach (var (k, v) in fields) row.TryAdd(k, v);
        _writer.WriteLine(JsonSerializer.Serialize(row));
    }

    /// <inheritdoc />
    public void Dispose() => _writer.Dispose();
}
