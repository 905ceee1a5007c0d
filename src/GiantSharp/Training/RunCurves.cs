using System.Text.Json;
using GiantSharp.Errors;

namespace GiantSharp.Training;

/// <summary>
/// A run's curves read back from its <c>metrics.jsonl</c> (<see cref="MetricsJsonlWriter"/>): training loss per step,
/// validation loss per evaluation, and the stage switches (delinking) as x positions with a label.
/// </summary>
/// <param name="Name">The run's name (its folder's name).</param>
/// <param name="Axis">What the x values measure.</param>
/// <param name="Train">Training loss (nats/token) per optimizer step: (x, loss).</param>
/// <param name="Val">Validation loss (nats/token) per evaluation: (x, loss).</param>
/// <param name="Switches">Stage switches after the first stage: (x of the step it happened at, label such as <c>delink: pseudo -&gt; real</c>).</param>
public sealed record RunCurves(string Name, PlotAxis Axis, IReadOnlyList<(double X, double Loss)> Train, IReadOnlyList<(double X, double Loss)> Val,
    IReadOnlyList<(double X, string Label)> Switches)
{
    /// <summary>The axis title of <paramref name="axis"/>, with its unit.</summary>
    public static string AxisTitle(PlotAxis axis) => axis switch
    {
        PlotAxis.Steps => "optimizer steps",
        PlotAxis.Tokens => "training tokens",
        _ => "training seconds (eval excluded)",
    };

    /// <summary>
    /// Reads the curves of the run folder <paramref name="runDir"/> against <paramref name="axis"/>. Switches come from
    /// the <c>delink</c>/<c>stage_start</c> events; in a file written before events, from where the step rows' stage changes.
    /// </summary>
    /// <exception cref="DataException">The folder has no metrics.jsonl, or a line of it is not a JSON object.</exception>
    public static RunCurves Read(string runDir, PlotAxis axis)
    {
        var path = RunOutputs.MetricsPath(runDir);
        if (!File.Exists(path))
            throw new DataException(runDir, Directory.Exists(runDir) ? "has no metrics.jsonl: not a run folder (giant train writes one into its out_dir)" : "no such run folder");
        var rows = new List<JsonElement>();
        int number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new JsonException("not an object");
                rows.Add(doc.RootElement.Clone());
            }
            catch (JsonException e) { throw new DataException(path, $"line {number} is not a JSON object ({e.Message.ReplaceLineEndings(" ")})", e); }
        }
        var steps = rows.Where(r => Text(r, "type") == "step").ToList();
        var xAtStep = steps.GroupBy(r => Int(r, "step")).ToDictionary(g => g.Key, g => X(g.Last(), axis));
        var train = steps.Select(r => (X(r, axis), Number(r, "loss"))).ToList();
        var val = rows.Where(r => Text(r, "type") == "eval").Select(r => (X(r, axis), Number(r, "val_loss"))).ToList();
        return new RunCurves(Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(runDir))), axis, train, val, FindSwitches(rows, steps, xAtStep, axis));
    }

    private static List<(double, string)> FindSwitches(List<JsonElement> rows, List<JsonElement> steps, Dictionary<int, double> xAtStep, PlotAxis axis)
    {
        double At(int step) => axis == PlotAxis.Steps ? step : xAtStep.GetValueOrDefault(step);
        var switches = new List<(double, string)>();
        var events = rows.Where(r => Text(r, "event") is "delink" or "stage_start").ToList();
        if (events.Count == 0)                                                  // written before events: where the stage changes
        {
            for (int i = 1; i < steps.Count; i++)
                if (Text(steps[i], "stage") != Text(steps[i - 1], "stage"))
                    switches.Add((At(Int(steps[i - 1], "step")), $"stage {Text(steps[i], "stage")}"));
            return switches;
        }
        int? delinkedAt = null;
        foreach (var e in events)
        {
            int step = Int(e, "step");
            if (Text(e, "event") == "delink")
            {
                switches.Add((At(step), $"delink: {Text(e, "from_stage")} -> {Text(e, "to_stage")}"));
                delinkedAt = step;
            }
            else if (step > 0 && delinkedAt != step) switches.Add((At(step), $"stage {Text(e, "stage")}"));
        }
        return switches;
    }

    private static double X(JsonElement row, PlotAxis axis) => axis switch
    {
        PlotAxis.Steps => Int(row, "step"),
        PlotAxis.Tokens => Number(row, "tokens"),
        _ => Number(row, "train_seconds"),
    };

    private static string? Text(JsonElement row, string key) => row.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    private static int Int(JsonElement row, string key) => row.TryGetProperty(key, out var v) && v.TryGetInt32(out var i) ? i : 0;
    private static double Number(JsonElement row, string key) => row.TryGetProperty(key, out var v) && v.TryGetDouble(out var d) ? d : double.NaN;
}
