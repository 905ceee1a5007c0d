using GiantSharp.Data.Images;
using GiantSharp.Multimodal;
using Xunit.Abstractions;

namespace GiantSharp.Tests.Scratch;

public class JudgeScratch(ITestOutputHelper output)
{
    [Fact]
    public void Scratch_judge()
    {
        if (Environment.GetEnvironmentVariable("SCRATCH_JUDGE") is not { } dir) return;
        var epochs = int.Parse(Environment.GetEnvironmentVariable("SCRATCH_EPOCHS") ?? "6");
        TorchSharp.torch.set_num_threads(2);
        using var corpus = ImageTextCorpus.Open(dir);
        var cpu = GiantSharp.Bench.CpuUsage.Now();
        using var judge = ImageJudge.Train(corpus.Train, corpus.Test, 10, corpus.Tokenizer.Identity, epochs: epochs, log: output.WriteLine);
        output.WriteLine($"acc {judge.Info.TestAccuracy} secs {judge.Info.TrainSeconds} others {GiantSharp.Bench.CpuUsage.Now().OthersShareSince(cpu, 2):P0}");
        File.WriteAllText("/tmp/mm/judge-scratch.txt", $"epochs {epochs} acc {judge.Info.TestAccuracy} secs {judge.Info.TrainSeconds} others {GiantSharp.Bench.CpuUsage.Now().OthersShareSince(cpu, 2):P0}\n");
        judge.Save("/tmp/mm/judge6");
    }
}
