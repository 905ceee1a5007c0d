namespace GiantSharp.Training;

/// <summary>
/// The per-expert load metrics MoE layers report (<see cref="Prefix"/><c>{e}</c>: share of routed assignments that
/// chose expert e, summing to 1), split from the other metrics and summarised. Source: Switch Transformer
/// (Fedus et al. 2021) sec. 2.2 on load balance; the summary keeps logs small at M6-10T's 10,240 experts.
/// </summary>
public static class ExpertLoads
{
    /// <summary>Metric-key prefix of the per-expert load.</summary>
    public const string Prefix = "moe/expert_load/";
    /// <summary>Experts up to which a log line lists each expert's load; above it, only the summary.</summary>
    public const int ListedUpTo = 64;

    /// <summary>The loads in <paramref name="metrics"/>, indexed by expert, and the other metrics.</summary>
    public static (List<double> Loads, List<KeyValuePair<string, double>> Others) Split(IReadOnlyDictionary<string, double> metrics)
    {
        var loads = new SortedDictionary<int, double>();
        var others = new List<KeyValuePair<string, double>>();
        foreach (var kv in metrics)
            if (kv.Key.StartsWith(Prefix, StringComparison.Ordinal) && int.TryParse(kv.Key.AsSpan(Prefix.Length), out var e)) loads[e] = kv.Value;
            else others.Add(kv);
        return (loads.Values.ToList(), others);
    }

    /// <summary>Summary keys of <paramref name="loads"/>: <c>moe/expert_load_max_over_mean</c> (1 is perfect balance), <c>_min</c>, <c>_max</c>.</summary>
    public static Dictionary<string, double> Summary(IReadOnlyList<double> loads)
    {
        var mean = loads.Average();
        return new()
        {
            ["moe/expert_load_max_over_mean"] = mean > 0 ? loads.Max() / mean : 0,
            ["moe/expert_load_min"] = loads.Min(),
            ["moe/expert_load_max"] = loads.Max(),
        };
    }
}
