namespace GiantSharp.Offload.Bench;

/// <summary>Seconds per step over a series of steps: the median, and the best (least disturbed by other load on the machine).</summary>
/// <param name="Median">Median seconds per step.</param>
/// <param name="Best">Fastest step, in seconds.</param>
public readonly record struct StepTiming(double Median, double Best)
{
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
