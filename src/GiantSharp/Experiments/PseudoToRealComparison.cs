using System.Globalization;
using System.Text;
using GiantSharp.Config;
using GiantSharp.Sharing;

namespace GiantSharp.Experiments;

/// <summary>
/// The main experiment of M6-10T (sec. 4.2, fig. 3) at one machine's scale: (a) Pseudo Giant, delink,
/// Real Giant, against (b) the same Real Giant from scratch with the same steps, batches, tokens and LR
/// schedule. Builds the configs and the report; running them is the caller's (CLI's) job.
/// </summary>
public static class PseudoToRealComparison
{
    /// <summary>
    /// The from-scratch twin of a Pseudo-to-Real run: same stages (steps, batches, LR), every stage
    /// unshared, so the two consume the same tokens under the same schedule. Every stage is placed like the last
    /// (Real Giant) stage: offloaded when it is (M6-10T's situation: the Real Giant must be offloaded).
    /// </summary>
    public static RunConfig FromScratch(RunConfig pseudoToReal, string outDir) => pseudoToReal with
    {
        Name = pseudoToReal.Name + "-scratch",
        OutDir = outDir,
        Stages = pseudoToReal.Stages.Select(s => s with { Name = "scratch", Sharing = SharingPlan.None, Offload = pseudoToReal.Stages[^1].Offload }).ToList(),
    };

    /// <summary>
    /// Rows: val loss at equal steps (every step both evaluated, thinned to at most
    /// <paramref name="maxStepRows"/>), at equal training time, and the time and steps each run needs to
    /// reach the final val loss of the last run (the baseline).
    /// </summary>
    public static List<ComparisonRow> Report(IReadOnlyList<EvalCurve> runs, int maxStepRows = 8)
    {
        var rows = new List<ComparisonRow>();
        var steps = runs.Select(r => r.Points.Select(p => p.Step)).Aggregate((a, b) => a.Intersect(b)).Order().ToList();
        var every = Math.Max(1, (int)Math.Ceiling(steps.Count / (double)maxStepRows));
        foreach (var s in steps.Where((_, i) => i % every == 0 || i == steps.Count - 1))
            rows.Add(new($"val loss @ step {s}", runs.Select(r => F(r.AtStep(s))).ToList()));

        var shortest = runs.Min(r => r.Points.Count > 0 ? r.Points[^1].TrainSeconds : 0);
        foreach (var frac in new[] { 0.25, 0.5, 1.0 })
        {
            var t = shortest * frac;
            rows.Add(new($"val loss @ {t:F0} s of training", runs.Select(r => F(r.AtSeconds(t))).ToList()));
        }

        var baseline = runs[^1];
        if (baseline.Points.Count > 0)
        {
            var target = baseline.Points[^1].ValLoss;
            rows.Add(new($"steps to val loss {target:F4} (baseline final)", runs.Select(r => r.FirstReaching(target)?.Step.ToString(CultureInfo.InvariantCulture) ?? "not reached").ToList()));
            rows.Add(new($"seconds to val loss {target:F4}", runs.Select(r => r.FirstReaching(target) is { } p ? p.TrainSeconds.ToString("F1", CultureInfo.InvariantCulture) : "not reached").ToList()));
        }
        return rows;
    }

    /// <summary>The curves as CSV (RFC 4180: fields with commas or quotes are quoted): run, stage, step, tokens, train_seconds, val_loss.</summary>
    public static string ToCsv(IReadOnlyList<EvalCurve> runs)
    {
        var sb = new StringBuilder("run,stage,step,tokens,train_seconds,val_loss\n");
        foreach (var r in runs)
            foreach (var p in r.Points)
                sb.Append(CultureInfo.InvariantCulture, $"{Field(r.Name)},{Field(p.Stage)},{p.Step},{p.Tokens},{p.TrainSeconds:F3},{p.ValLoss:F6}\n");
        return sb.ToString();
    }

    private static string Field(string text) =>
        text.IndexOfAny([',', '"', '\n']) < 0 ? text : "\"" + text.Replace("\"", "\"\"") + "\"";

    private static string F(double? v) => v is { } x ? x.ToString("F4", CultureInfo.InvariantCulture) : "-";
}
