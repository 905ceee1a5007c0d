using GiantSharp.Bench;
using GiantSharp.Offload.Bench;

namespace GiantSharp.Tests.Bench;

public class BenchTargetTests
{
    [Fact]
    public void A_target_is_met_on_its_side_of_the_bound_and_written_as_a_table()
    {
        var targets = new[]
        {
            BenchTarget.Min("ratio (median)", 0.8, 0.8),                       // the bound itself meets it
            BenchTarget.Max("offloaded / resident (median)", 1.151, 1.15),
            BenchTarget.Min("hidden", 0.79, 0.8, "P0"),
            BenchTarget.Min("nan", double.NaN, 0),
        };
        Assert.Equal([true, false, false, false], targets.Select(t => t.Met));
        Assert.Equal(
            "Median = median of the N timed repeats, best = the fastest repeat (least time); targets are judged on the median.\n\n" +
            "| measure | value | target | verdict |\n|---|---:|---:|---|\n" +
            "| ratio (median) | 0.80 | >= 0.80 | **met** |\n" +
            "| offloaded / resident (median) | 1.15 | <= 1.15 | **not met** |\n" +
            "| hidden | 79% | >= 80% | **not met** |\n" +
            "| nan | NaN | >= 0.00 | **not met** |", BenchTarget.Markdown(targets));
        Assert.StartsWith("No target: this benchmark is a comparison.", BenchTarget.Markdown([]));
    }

    [Fact]
    public void Median_and_best_are_the_middle_and_the_least_time()
    {
        Assert.Equal(new StepTiming(2.0, 1.0), StepTiming.Of([3.0, 1.0, 2.0]));
        Assert.Equal(new StepTiming(2.5, 1.0), StepTiming.Of([4.0, 1.0, 3.0, 2.0]));
    }

    [Fact]
    public void Disk_ratios_are_dds_median_time_over_the_tiers()
    {
        // Bandwidths (bytes/s) of three rounds; time per byte is 1/bandwidth. Write: dd times 1/2, 1/4, 1/8 -> median 1/4;
        // tier 1/1, 1/2, 1/3 -> median 1/2: ratio (1/4) / (1/2) = 0.5. Read: dd 1/10 (all), tier 1/5, 1/10, 1/20 -> 1/10: ratio 1.
        var rounds = new[] { new DiskBenchmark.Round(2, 10, 1, 5), new DiskBenchmark.Round(4, 10, 2, 10), new DiskBenchmark.Round(8, 10, 3, 20) };
        var (write, read) = DiskBenchmark.MedianRatios(rounds);
        Assert.Equal(0.5, write, 12);
        Assert.Equal(1.0, read, 12);
    }
}
