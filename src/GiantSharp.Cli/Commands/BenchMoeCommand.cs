using System.CommandLine;
using System.Globalization;
using GiantSharp.Bench;
using GiantSharp.Model.Moe;
using Spectre.Console;

namespace GiantSharp.Cli.Commands;

/// <summary>
/// <c>giant bench moe</c>: tokens/s of an MoE FFN (8 experts, top-1, each expert as wide as the dense FFN, so the
/// active FLOPs are equal) against the dense FFN, forward + backward, alternating in one process (issue 4).
/// </summary>
internal static class BenchMoeCommand
{
    public const string SectionTitle = "MoE layer vs dense FFN (giant bench moe)";

    /// <summary>Issue 4's target: MoE tokens/s at least this share of the dense FFN's.</summary>
    public const double TargetRatio = 0.7;

    public static Command Create()
    {
        var dModel = new Option<int>("--d-model") { Description = "d_model (C)", DefaultValueFactory = _ => 512 };
        var dFf = new Option<int>("--d-ff") { Description = "width of the dense FFN and of each expert", DefaultValueFactory = _ => 2048 };
        var experts = new Option<int>("--num-experts") { Description = "experts (E)", DefaultValueFactory = _ => 8 };
        var tokens = new Option<int>("--tokens") { Description = "tokens per forward/backward", DefaultValueFactory = _ => 4096 };
        var capacity = new Option<double>("--capacity-factor") { Description = "MoE capacity factor (0: no dropping)", DefaultValueFactory = _ => 1.25 };
        var iterations = new Option<int>("--iterations") { Description = "timed iterations of each", DefaultValueFactory = _ => 20 };
        var threads = BenchCommand.ThreadsOption();
        var output = BenchCommand.OutOption();
        var command = new Command("moe", "MoE FFN (top-1) against the dense FFN at equal active FLOPs: tokens/s and their ratio.");
        foreach (var o in new Option[] { dModel, dFf, experts, tokens, capacity, iterations, threads, output }) command.Options.Add(o);
        command.SetAction((ParseResult r) =>
        {
            var res = MoeBenchmark.Run(r.GetValue(dModel), r.GetValue(dFf), r.GetValue(experts), r.GetValue(tokens), r.GetValue(capacity),
                r.GetValue(iterations), warmup: 2, threads: r.GetValue(threads), seed: 0);
            var inv = CultureInfo.InvariantCulture;
            var table = new Table().Title("giant bench moe").AddColumn("dense tok/s (best)").AddColumn("MoE tok/s (best)").AddColumn("ratio (best)").AddColumn("ratio (median)").AddColumn("dropped");
            table.AddRow(res.DenseTokensPerSecond.ToString("F0", inv), res.MoeTokensPerSecond.ToString("F0", inv), res.Ratio.ToString("F3", inv),
                res.MedianRatio.ToString("F3", inv), res.DroppedFraction.ToString("P1", inv));
            AnsiConsole.Write(table);
            BenchTarget[] targets = [BenchTarget.Min("MoE / dense tokens/s (median)", res.MedianRatio, TargetRatio)];
            var body = string.Join("\n", [
                $"Measured {DateTime.UtcNow:yyyy-MM-dd}, {res.Threads} libtorch threads: d_model {r.GetValue(dModel)}, d_ff {r.GetValue(dFf)}, {r.GetValue(experts)} experts, top-1, " +
                $"capacity factor {r.GetValue(capacity).ToString(inv)}, {r.GetValue(tokens)} tokens, forward + backward, {r.GetValue(iterations)} iterations each, alternating.",
                "",
                $"    {BenchCommand.CommandLine(r)}",
                "",
                "| dense tokens/s (best) | MoE tokens/s (best) | ratio (best) | ratio (median) | dropped |",
                "|---:|---:|---:|---:|---:|",
                $"| {res.DenseTokensPerSecond.ToString("F0", inv)} | {res.MoeTokensPerSecond.ToString("F0", inv)} | {res.Ratio.ToString("F3", inv)} | {res.MedianRatio.ToString("F3", inv)} | {res.DroppedFraction.ToString("P1", inv)} |",
                "",
                BenchTarget.Markdown(targets),
            ]);
            BenchCommand.Report(targets, r.GetValue(output), SectionTitle, body + "\n");
            return 0;
        });
        return command;
    }
}
