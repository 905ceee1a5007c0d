using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using GiantSharp.Bench;
using GiantSharp.Errors;
using GiantSharp.Parallel;
using Spectre.Console;

namespace GiantSharp.Cli.Commands;

/// <summary>
/// <c>giant bench parallel</c>: data-parallel throughput, 1 rank against N ranks of 1 thread each, in one run: it launches
/// <c>mpirun -np 1</c> then <c>mpirun -np N</c> of itself (<c>--worker</c>) on the same preset and global batch and reports
/// the tokens/s ratio (issue 10: &gt;= 1.8 for 2 ranks on 2 cores), the share of step time in collectives and the bytes per step.
/// </summary>
internal static class BenchParallelCommand
{
    public const string SectionTitle = "Data parallelism over MPI, 1 rank against N (giant bench parallel)";

    public static Command Create()
    {
        var preset = new Option<string>("--preset") { Description = "preset name (configs/NAME.json) or path to a preset file", DefaultValueFactory = _ => "gpt2-small-cpu" };
        var ranks = new Option<int>("--ranks") { Description = "ranks of the parallel launch (compared with 1)", DefaultValueFactory = _ => 2 };
        var steps = new Option<int>("--steps") { Description = "timed optimizer steps per launch", DefaultValueFactory = _ => 3 };
        var warmup = new Option<int>("--warmup") { Description = "untimed steps before them", DefaultValueFactory = _ => 1 };
        var zero = new Option<int>("--zero-stage") { Description = "ZeRO stage of the parallel launch (0, 1, 2)", DefaultValueFactory = _ => 0 };
        var worker = new Option<string?>("--worker") { Description = "(internal) run as one rank of a launch, writing rank 0's result to this file", Hidden = true };
        var output = BenchCommand.OutOption();
        var command = new Command("parallel", "Data-parallel tokens/s: mpirun -np 1 against -np N (1 thread per rank) on one preset and global batch.")
        {
            preset, ranks, steps, warmup, zero, worker, output,
        };
        command.SetAction((ParseResult r) =>
        {
            CommonOptions.AtLeast(r, steps, 1);
            CommonOptions.AtLeast(r, ranks, 2);
            if (r.GetValue(warmup) < 0) throw new ConfigException("--warmup", $"must be >= 0, got {r.GetValue(warmup)}");
            var config = new ParallelConfig { ZeroStage = r.GetValue(zero) };
            config.Validate();
            var loaded = BenchPreset.Load(r.GetValue(preset)!);
            int n = r.GetValue(ranks);
            if (r.GetValue(worker) is { } resultFile)
            {
                BenchCommand.SetThreads(1);
                var result = ParallelBench.Run(loaded, config, n, r.GetValue(steps), r.GetValue(warmup));
                if (Communicator.World.IsRoot) File.WriteAllText(resultFile, JsonSerializer.Serialize(result));
                return 0;
            }
            var results = new List<ParallelBench.Result>();
            foreach (var np in new[] { 1, n })
            {
                AnsiConsole.MarkupLineInterpolated($"[grey]mpirun -np {np}: {r.GetValue(warmup)} warm-up + {r.GetValue(steps)} timed step(s), global batch {n} x {loaded.MicroBatch} rows[/]");
                results.Add(Launch(np, r, preset, ranks, steps, warmup, zero));
            }
            var inv = CultureInfo.InvariantCulture;
            var ratio = results[1].TokensPerSecond / results[0].TokensPerSecond;
            var load = File.ReadAllText("/proc/loadavg").Split(' ')[..3];
            var table = new Table().Title($"giant bench parallel: {MachineInfo.Current()}");
            foreach (var h in new[] { "ranks", "median step s", "tokens/s", "comm share", "MiB per step", "loss" }) table.AddColumn(new TableColumn(h).RightAligned());
            foreach (var x in results)
                table.AddRow(x.Ranks.ToString(inv), x.StepSeconds.ToString("F2", inv), x.TokensPerSecond.ToString("F0", inv), x.CommShare.ToString("P1", inv),
                    (x.BytesPerStep / (1024.0 * 1024)).ToString("F1", inv), x.Loss.ToString("F4", inv));
            table.Caption($"load average {string.Join(' ', load)}");
            AnsiConsole.Write(table);
            BenchTarget[] targets = n == 2 ? [BenchTarget.Min("2 ranks / 1 rank tokens/s (median steps)", ratio, 1.8)] : [];
            var rows = results.Select(x => $"| {x.Ranks} | {x.StepSeconds.ToString("F2", inv)} | {x.TokensPerSecond.ToString("F0", inv)} | {x.CommShare.ToString("P1", inv)} | " +
                $"{(x.BytesPerStep / (1024.0 * 1024)).ToString("F1", inv)} | {x.Loss.ToString("F4", inv)} |");
            var body = string.Join("\n", [
                $"Measured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {MachineInfo.Current()}, load average before the run {string.Join(' ', load)} " +
                $"(the machine was {(double.Parse(load[0], inv) > 0.5 ? "busy: other work ran alongside" : "quiet")}). Preset `{r.GetValue(preset)}`, global batch {n} micro-batches of {loaded.MicroBatch} x {loaded.Model.SeqLen} tokens, " +
                $"1 thread per rank, ZeRO stage {config.ZeroStage}. Both launches in this one run; tokens/s ratio **{ratio.ToString("F2", inv)}** (the target, >= 1.8, is for 2 ranks).",
                "",
                $"    {BenchCommand.CommandLine(r)}",
                "",
                "| ranks | median step s | tokens/s | comm share | MiB per step (payload, rank 0) | loss |",
                "|---:|---:|---:|---:|---:|---:|",
                .. rows,
                "",
                BenchTarget.Markdown(targets),
            ]);
            BenchCommand.Report(targets, r.GetValue(output), SectionTitle, body + "\n");
            return 0;
        });
        return command;
    }

    private static ParallelBench.Result Launch(int np, ParseResult r, Option<string> preset, Option<int> ranks, Option<int> steps, Option<int> warmup, Option<int> zero)
    {
        var mpirun = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, "mpirun")).FirstOrDefault(File.Exists)
            ?? throw new ConfigException("giant bench parallel", "needs mpirun on PATH (apt-get install -y openmpi-bin libopenmpi-dev)");
        var resultFile = Path.Combine(Path.GetTempPath(), $"giant-bench-parallel-{Guid.NewGuid():N}.json");
        var psi = new ProcessStartInfo(mpirun) { UseShellExecute = false };
        var self = typeof(BenchParallelCommand).Assembly.Location;
        var args = new List<string> { "--oversubscribe", "-np", np.ToString(CultureInfo.InvariantCulture) };
        if (Environment.UserName == "root") args.Insert(0, "--allow-run-as-root");
        args.AddRange(Path.GetFileName(Environment.ProcessPath) is "dotnet" ? [Environment.ProcessPath!, self] : [Environment.ProcessPath!]);
        args.AddRange(["bench", "parallel", "--worker", resultFile, "--preset", r.GetValue(preset)!, "--ranks", r.GetValue(ranks).ToString(CultureInfo.InvariantCulture),
            "--steps", r.GetValue(steps).ToString(CultureInfo.InvariantCulture), "--warmup", r.GetValue(warmup).ToString(CultureInfo.InvariantCulture),
            "--zero-stage", r.GetValue(zero).ToString(CultureInfo.InvariantCulture)]);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.WaitForExit();
        try
        {
            if (p.ExitCode != 0 || !File.Exists(resultFile)) throw new ParallelException($"mpirun -np {np} of the benchmark failed (exit code {p.ExitCode})");
            return JsonSerializer.Deserialize<ParallelBench.Result>(File.ReadAllText(resultFile))!;
        }
        finally { File.Delete(resultFile); }
    }
}
