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
}
