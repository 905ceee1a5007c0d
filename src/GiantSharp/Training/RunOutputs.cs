using GiantSharp.Config;

namespace GiantSharp.Training;

/// <summary>
/// The files a run writes besides checkpoints: <c>{out_dir}/config.json</c> (the resolved config),
/// <c>metrics.jsonl</c> and TensorBoard events under <c>tb/</c>.
/// </summary>
public sealed class RunOutputs : IDisposable
{
    private readonly MetricsJsonlWriter _jsonl;

    /// <summary>
    /// Creates the out_dir and opens the metrics files; <c>metrics.jsonl</c> keeps only the records up to
    /// <paramref name="fromStep"/> (the step a resumed run continues from; 0 for a fresh run). TensorBoard gets a new
    /// events file per start.
    /// </summary>
    public RunOutputs(RunConfig config, int fromStep = 0)
    {
        Directory.CreateDirectory(config.OutDir);
        File.WriteAllText(Path.Combine(config.OutDir, "config.json"), ConfigLoader.ToJson(config));
        _jsonl = new MetricsJsonlWriter(MetricsPath(config.OutDir), fromStep);
        Observers = [_jsonl, new TensorBoardWriter(Path.Combine(config.OutDir, "tb"))];
    }

    /// <summary>The metrics file of a run folder.</summary>
    public static string MetricsPath(string outDir) => Path.Combine(outDir, "metrics.jsonl");

    /// <summary>Observers writing the metrics files.</summary>
    public IReadOnlyList<ITrainingObserver> Observers { get; }

    /// <inheritdoc />
    public void Dispose() => _jsonl.Dispose();
}
