using System.Globalization;

namespace GiantSharp.Bench;

/// <summary>
/// A benchmark's figure against its target (from the issue that asked for it), e.g. "MoE/dense tokens/s (median) 0.74,
/// target &gt;= 0.7: met". Every <c>giant bench</c> prints a table of these and writes it into its section.
/// </summary>
/// <param name="Measure">What is measured, with the statistic, e.g. <c>tier/dd write bandwidth (median)</c>.</param>
/// <param name="Value">The figure measured.</param>
/// <param name="AtLeast">True: the target is Value &gt;= <paramref name="Threshold"/>; false: Value &lt;= it.</param>
/// <param name="Threshold">The target's bound.</param>
/// <param name="Format">How the value and bound are written: <c>F2</c>, or <c>P0</c> for a share.</param>
public sealed record BenchTarget(string Measure, double Value, bool AtLeast, double Threshold, string Format = "F2")
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>A target Value &gt;= <paramref name="threshold"/>.</summary>
    public static BenchTarget Min(string measure, double value, double threshold, string format = "F2") => new(measure, value, true, threshold, format);

    /// <summary>A target Value &lt;= <paramref name="threshold"/>.</summary>
    public static BenchTarget Max(string measure, double value, double threshold, string format = "F2") => new(measure, value, false, threshold, format);

    /// <summary>Whether the figure meets the target (a NaN figure does not).</summary>
    public bool Met => AtLeast ? Value >= Threshold : Value <= Threshold;

    /// <summary><c>met</c> or <c>not met</c>.</summary>
    public string Verdict => Met ? "met" : "not met";

    /// <summary>The figure as written in the table.</summary>
    public string ValueText => Write(Value);

    /// <summary>The target as written in the table, e.g. <c>&gt;= 0.80</c>.</summary>
    public string TargetText => (AtLeast ? ">= " : "<= ") + Write(Threshold);

    private string Write(double x) => Format == "P0" ? (x * 100).ToString("F0", Inv) + "%" : x.ToString(Format, Inv);

    /// <summary>
    /// The Markdown table of <paramref name="targets"/> (measure, value, target, verdict), preceded by what median and
    /// best mean; "no target" when there is none.
    /// </summary>
    public static string Markdown(IReadOnlyList<BenchTarget> targets)
    {
        if (targets.Count == 0) return "No target: this benchmark is a comparison. " + Capitalised(StepTiming.Meaning) + ".";
        var lines = new List<string> { Capitalised(StepTiming.Meaning) + ".", "", "| measure | value | target | verdict |", "|---|---:|---:|---|" };
        lines.AddRange(targets.Select(t => $"| {t.Measure} | {t.ValueText} | {t.TargetText} | **{t.Verdict}** |"));
        return string.Join('\n', lines);
    }

    private static string Capitalised(string s) => char.ToUpperInvariant(s[0]) + s[1..];
}
