using System.CommandLine;
using System.Globalization;
using GiantSharp.Bench;
using Spectre.Console;

namespace GiantSharp.Cli.Commands;

/// <summary>
/// <c>giant bench train</c>: matmul peak, then training throughput and MFU of a preset in fp32 and/or bf16
/// (see <see cref="TrainBench"/>); prints a table and the targets, and records them in a Markdown file given by --out.
/// </summary>
internal static class BenchTrainCommand
{
    public static Command Create()
    {
        var preset = new Option<string>("--preset") { Description = "preset name (configs/NAME.json) or path to a preset file", DefaultValueFactory = _ => "gpt2-small-cpu" };
        var steps = new Option<int>("--steps") { Description = "timed optimizer steps per precision", DefaultValueFactory = _ => 3 };
        var warmup = new Option<int>("--warmup") { Description = "untimed steps before them", DefaultValueFactory = _ => 1 };
        var dtype = new Option<string>("--dtype") { Description = "precision(s) to train in (bf16 is slow on CPUs without bf16 GEMM kernels: no AVX512-BF16/AMX)", DefaultValueFactory = _ => "fp32" };
        dtype.AcceptOnlyFromAmong("fp32", "bf16", "both");
        var threads = BenchCommand.ThreadsOption();
        var output = BenchCommand.OutOption();

        var command = new Command("train", "Measure the matmul peak, then train a preset on random tokens: tokens/s, model FLOP/s and MFU.");
        foreach (var option in new Option[] { preset, steps, warmup, threads, dtype, output }) command.Options.Add(option);
        command.SetAction((ParseResult r) =>
        {
            BenchCommand.SetThreads(r.GetValue(threads));
            var options = new TrainBenchOptions { Steps = r.GetValue(steps), Warmup = r.GetValue(warmup) };
            if (options.Steps < 1) throw new Errors.ConfigException("--steps", $"must be >= 1, got {options.Steps}");
            if (options.Warmup < 0) throw new Errors.ConfigException("--warmup", $"must be >= 0, got {options.Warmup}");
            BenchPrecision[] precisions = r.GetValue(dtype) switch
            {
                "fp32" => [BenchPrecision.Fp32],
                "bf16" => [BenchPrecision.Bf16],
                _ => [BenchPrecision.Fp32, BenchPrecision.Bf16],
            };
            var loaded = BenchPreset.Load(r.GetValue(preset)!);
            var report = TrainBench.Run(loaded, precisions, options, line => AnsiConsole.MarkupLineInterpolated($"[grey]{line}[/]"));
            AnsiConsole.Write(Table(report));
            var outPath = r.GetValue(output);
            var previous = File.Exists(outPath) ? BenchmarkDocument.ReadSection(File.ReadAllText(outPath), TrainBenchReport.SectionTitle) : null;
            BenchCommand.Report(report.Targets(), outPath, TrainBenchReport.SectionTitle, report.ToMarkdown(BenchCommand.CommandLine(r), previous));
            return 0;
        });
        return command;
    }

    private static Table Table(TrainBenchReport report)
    {
        var inv = CultureInfo.InvariantCulture;
        var table = new Table().Title($"giant bench train: {report.Machine}");
        table.AddColumn("precision");
        foreach (var header in new[] { "matmul peak GFLOP/s", "median step s", "tokens/s", "model GFLOP/s", "MFU", "loss", "others' CPU" })
            table.AddColumn(new TableColumn(header).RightAligned());
        foreach (var x in report.Results)
            table.AddRow(TrainBenchReport.Name(x.Precision), (x.PeakFlopsPerSecond / 1e9).ToString("F1", inv), x.StepSeconds.ToString("F2", inv),
                x.TokensPerSecond.ToString("F0", inv), (x.ModelFlopsPerSecond / 1e9).ToString("F1", inv), x.Mfu.ToString("F3", inv), x.Loss.ToString("F3", inv), TrainBenchReport.Percent(x.OthersCpuShare));
        table.Caption($"FLOPs/token {TrainingFlops.PerToken(report.Preset.Model) / 1e6:F1} M (6N + 6CV + 12LCT, N = {TrainingFlops.NonEmbeddingParameters(report.Preset.Model):N0} non-embedding)");
        return table;
    }
}
