using GiantSharp.Cli;
using GiantSharp.Offload;
using GiantSharp.Training;

namespace GiantSharp.Tests.Cli;

public class ConsoleProgressTests
{
    private static StepLog Log(Dictionary<string, double> metrics) =>
        new("real", 1, 7, 20, 2.5, 0, 1.5e-3, 0.9, 7 * 512, 2.0, 2048, metrics) { StepSeconds = 0.25, Mfu = 0.125, PeakResidentBytes = 300L << 20 };

    [Fact]
    public void A_step_line_has_loss_lr_time_throughput_mfu_and_rss()
    {
        Assert.Equal("real step 7/20 loss 2.5000 lr 1.50E-003 250 ms/step 2,048 tok/s MFU 0.125 peak RSS 300 MiB", ConsoleProgress.StepText(Log([])));
        Assert.DoesNotContain("MFU", ConsoleProgress.StepText(Log([]) with { Mfu = null }));
    }

    [Fact]
    public void A_streamed_step_line_adds_transfer_stall_and_hidden_share()
    {
        var metrics = new Dictionary<string, double> { [OffloadStats.TransferKey] = 0.12, [OffloadStats.StallKey] = 0.03, [OffloadStats.HiddenKey] = 0.75 };
        Assert.EndsWith("peak RSS 300 MiB transfer 120 ms stall 30 ms hidden 75%", ConsoleProgress.StepText(Log(metrics)));
    }
}
