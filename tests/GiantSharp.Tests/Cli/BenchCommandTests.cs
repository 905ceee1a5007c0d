using System.CommandLine;
using GiantSharp.Bench;
using GiantSharp.Cli.Commands;

namespace GiantSharp.Tests.Cli;

public class BenchCommandTests
{
    [Fact]
    public void Bench_train_prints_and_records_a_section()
    {
        using var dir = new TempDir();
        var preset = dir.Write("tiny.json", """{ "model": { "n_layer": 1, "n_head": 2, "d_model": 32, "d_ff": 64, "vocab_size": 50, "seq_len": 16 }, "micro_batch": 2 }""");
        var output = Path.Combine(dir.Path, "benchmarks.md");
        var threads = TorchSharp.torch.get_num_threads();
        try
        {
            var code = BenchCommand.Create()
                .Parse(["train", "--preset", preset, "--steps", "1", "--warmup", "0", "--dtype", "fp32", "--threads", "1", "--out", output])
                .Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
            Assert.Equal(0, code);
        }
        finally
        {
            TorchSharp.torch.set_num_threads(threads);
        }
        var text = File.ReadAllText(output);
        Assert.Contains($"## {TrainBenchReport.SectionTitle}", text);
        Assert.Contains($"giant bench train --preset {preset} --steps 1", text);
        Assert.Contains("| fp32 |", text);
    }

    private const string MoeArgs = "bench moe --d-model 16 --d-ff 32 --num-experts 2 --tokens 32 --iterations 3 --threads 1";

    [Fact]
    public void A_bench_prints_its_targets_and_writes_no_file_without_out()
    {
        using var dir = new TempDir();
        var r = GiantProcess.Run(dir.Path, MoeArgs.Split(' '));
        Assert.Equal(0, r.ExitCode);
        Assert.Matches(@"MoE / dense tokens/s \(median\).*>= 0\.70.*(met|not met)", r.StdOut.ReplaceLineEndings(" "));
        Assert.Contains("not written to a file", r.StdOut);
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir.Path));       // a user's clone is not modified by trying a bench
    }

    [Fact]
    public void Bench_disk_judges_both_ways_and_leaves_no_folder_behind()
    {
        using var dir = new TempDir();
        var r = GiantProcess.Run(dir.Path, "bench", "disk", "--size", "8MiB", "--requests", "4MiB", "--rounds", "1");
        Assert.Equal(0, r.ExitCode);
        var text = r.StdOut.ReplaceLineEndings(" ");
        Assert.Matches(@"4MiB requests: tier/dd write bandwidth \(median\).*>= 0\.80.*(met|not met)", text);
        Assert.Matches(@"4MiB requests: tier/dd read bandwidth \(median\).*>= 0\.80.*(met|not met)", text);
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir.Path));       // the default --dir runs/offload-store is removed again
    }

    [Fact]
    public void With_out_a_bench_replaces_only_its_own_section()
    {
        using var dir = new TempDir();
        var doc = dir.Write("bench.md", $"# Benchmarks\n\n## Other\n\nkeep me\n\n## {BenchMoeCommand.SectionTitle}\n\nold figures\n\n## Last\n\nkeep me too\n");
        var r = GiantProcess.Run(dir.Path, [.. MoeArgs.Split(' '), "--out", doc]);
        Assert.Equal(0, r.ExitCode);
        var text = File.ReadAllText(doc);
        Assert.DoesNotContain("old figures", text);
        var section = BenchmarkDocument.ReadSection(text, BenchMoeCommand.SectionTitle)!;
        Assert.Contains("| MoE / dense tokens/s (median) |", section);
        Assert.Matches(@"\| >= 0\.70 \| \*\*(met|not met)\*\* \|", section);
        Assert.Equal("keep me", BenchmarkDocument.ReadSection(text, "Other"));
        Assert.Equal("keep me too", BenchmarkDocument.ReadSection(text, "Last"));
        Assert.Equal(["Other", BenchMoeCommand.SectionTitle, "Last"], text.Split('\n').Where(l => l.StartsWith("## ")).Select(l => l[3..]));
    }
}
