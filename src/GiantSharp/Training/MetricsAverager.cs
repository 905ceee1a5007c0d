namespace GiantSharp.Training;

/// <summary>Averages named diagnostics over the micro-batches of a step.</summary>
public sealed class MetricsAverager
{
    private readonly Dictionary<string, (double Sum, int Count)> _values = new();

    /// <summary>Adds one observation of each metric.</summary>
    public void Add(IReadOnlyDictionary<string, double> metrics)
    {
        foreach (var (k, v) in metrics)
        {
            var (s, c) = _values.GetValueOrDefault(k);
            _values[k] = (s + v, c + 1);
        }
    }

    /// <summary>The mean of each metric.</summary>
    public IReadOnlyDictionary<string, double> Mean() => _values.ToDictionary(kv => kv.Key, kv => kv.Value.Sum / kv.Value.Count);
}
