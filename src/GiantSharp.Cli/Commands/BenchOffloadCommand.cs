using System.CommandLine;
using System.Globalization;
using GiantSharp.Bench;
using GiantSharp.Model;
using GiantSharp.Offload;
using GiantSharp.Offload.Bench;
using Spectre.Console;

namespace GiantSharp.Cli.Commands;

/// <summary>
/// <c>giant bench offload</c>: step time of layer-streamed training with every layer's parameters, gradients and
/// AdamW moments on the host or disk tier, against resident training of the same model in the same process, and the
/// share of transfer time prefetching hides (issue 3).
/// </summary>
internal static class BenchOffloadCommand
{
    public const string SectionTitle = "Offloading overhead (giant bench offload)";

    public static Command Create()
    {
        var tier = new Option<string>("--tier") { Description = "where the layers live: host or disk", DefaultValueFactory = _ => "host" };
        tier.AcceptOnlyFromAmong("host", "disk");
        var dir = new Option<string>("--dir") { Description = "folder for the disk tier's files", DefaultValueFactory = _ => Path.Combine(Path.GetTempPath(), "giant-offload-bench") };
        var dModel = new Option<int>("--d-model") { Description = "d_model", DefaultValueFactory = _ => 512 };
        var nLayer = new Option<int>("--n-layer") { Description = "n_layer", DefaultValueFactory = _ => 8 };
        var steps = new Option<int>("--steps") { Description = "timed steps of each variant", DefaultValueFactory = _ => 8 };
        var prefetch = new Option<int>("--prefetch") { Description = "prefetch depth in layers", DefaultValueFactory = _ => 1 };
        var keep = new Option<int>("--keep-activations") { Description = "last layers that keep their activations instead of recomputing them in the backward pass", DefaultValueFactory = _ => 1 };
        var threads = BenchCommand.ThreadsOption();
        var output = BenchCommand.OutOption();
        var command = new Command("offload", "Offloaded vs resident step time, and the share of transfers hidden by prefetch.");
        foreach (var o in new Option[] { tier, dir, dModel, nLayer, steps, prefetch, keep, threads, output }) command.Options.Add(o);
        command.SetAction((ParseResult r) =>
        {
            BenchCommand.SetThreads(r.GetValue(threads));
            foreach (var (o, min) in new[] { (steps, 1), (nLayer, 1), (dModel, 8), (prefetch, 0), (keep, 1) })
                CommonOptions.AtLeast(r, o, min);
            if (r.GetValue(keep) > r.GetValue(nLayer))
                throw new Errors.ConfigException("--keep-activations", $"must be at most --n-layer = {r.GetValue(nLayer)}, got {r.GetValue(keep)}");
            var t = r.GetValue(tier) == "disk" ? Tier.Disk : Tier.Host;
            var model = new ModelConfig { NLayer = r.GetValue(nLayer), NHead = 8, DModel = r.GetValue(dModel), DFf = 4 * r.GetValue(dModel), VocabSize = 1024, SeqLen = 128 };
            var offload = new OffloadConfig { Params = t, Grads = t, Optimizer = t, Layers = LayerSelection.All, Prefetch = r.GetValue(prefetch), KeepActivations = r.GetValue(keep), Dir = t == Tier.Disk ? r.GetValue(dir) : null };
            offload.Validate(model.NLayer);
            var f = OffloadBenchmark.StepTime(model, offload, steps: r.GetValue(steps), batch: 4);
            AnsiConsole.WriteLine(f.ToString());
            var inv = CultureInfo.InvariantCulture;
            BenchTarget[] targets =
            [
                BenchTarget.Max($"{t.ToString().ToLowerInvariant()} tier: offloaded / resident step time (median)", f.RatioToResident, t == Tier.Disk ? 1.5 : 1.15),
                BenchTarget.Min("transfer time hidden behind compute", f.HiddenFraction, 0.8, "P0"),
            ];
            var body = string.Join("\n", [
                $"Measured {DateTime.UtcNow:yyyy-MM-dd}: n_layer {model.NLayer}, d_model {model.DModel}, seq_len {model.SeqLen}, batch 4, {f.Label}; {r.GetValue(steps)} interleaved steps of each, median step times (best in brackets).",
                "",
                $"    {BenchCommand.CommandLine(r)}",
                "",
                "| tier | resident s | streamed, nothing offloaded s | offloaded s | offloaded / resident | offloaded / streamed | transfer hidden |",
                "|---|---:|---:|---:|---:|---:|---:|",
                $"| {t.ToString().ToLowerInvariant()} | {f.Resident.Median.ToString("F3", inv)} | {f.Recompute.Median.ToString("F3", inv)} | {f.Offload.Median.ToString("F3", inv)} | " +
                $"{f.RatioToResident.ToString("F2", inv)} ({f.BestRatioToResident.ToString("F2", inv)}) | {f.RatioToRecompute.ToString("F2", inv)} | {(100 * f.HiddenFraction).ToString("F1", inv)}% |",
                "",
                BenchTarget.Markdown(targets),
            ]);
            BenchCommand.Report(targets, r.GetValue(output), $"{SectionTitle}, {t.ToString().ToLowerInvariant()} tier", body + "\n");
            return 0;
        });
        return command;
    }
}
