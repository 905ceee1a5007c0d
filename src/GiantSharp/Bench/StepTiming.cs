namespace GiantSharp.Bench;

/// <summary>
/// Seconds per repeat over N timed repeats (steps, iterations, rounds), as every benchmark reports them:
/// <see cref="Median"/> is the median of the N repeats (mean of the middle two for an even N), robust to a repeat slowed
/// by another process; <see cref="Best"/> is the fastest repeat (least time), the estimate of uncontended speed on a
/// shared machine. A ratio "median" is the ratio of the medians, a ratio "best" the ratio of the bests. Targets are
/// judged on the median.
/// </summary>
/// <param name="Median">Median seconds per repeat.</param>
/// <param name="Best">Fastest repeat, in seconds.</param>
public readonly record struct StepTiming(double Median, double Best)
{
    /// <summary>What median and best mean, one line for the benchmarks' tables and docs.</summary>
    public const string Meaning = "median = median of the N timed repeats, best = the fastest repeat (least time); targets are judged on the median";

    /// <summary>The timing of <paramref name="seconds"/> (empty: zeros).</summary>
    public static StepTiming Of(IReadOnlyCollection<double> seconds)
    {
        if (seconds.Count == 0) return default;
        var s = seconds.Order().ToArray();
        var median = s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
        return new StepTiming(median, s[0]);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Median:F3} s (best {Best:F3})";
}
