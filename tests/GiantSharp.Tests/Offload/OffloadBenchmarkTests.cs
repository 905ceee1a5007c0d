using GiantSharp.Offload;
using GiantSharp.Tests.Data;
using GiantSharp.Offload.Bench;
using static GiantSharp.Tests.Offload.OffloadFixtures;

namespace GiantSharp.Tests.Offload;

/// <summary>Smoke tests: the benchmarks run on tiny shapes and report consistent figures (the real runs are in the report).</summary>
[Collection(OffloadCollection.Name)]
public class OffloadBenchmarkTests
{
    [Fact]
    public void Step_time_reports_three_timings_and_the_transfer_of_the_offloaded_run()
    {
        var f = OffloadBenchmark.StepTime(TinyModels.Config(), new OffloadConfig { Prefetch = 1 }, steps: 2, batch: 2);
        Assert.All(new[] { f.Resident, f.Recompute, f.Offload, f.Optimizer }, t => Assert.InRange(t.Best, 1e-9, t.Median));
        Assert.True(f.TransferSeconds > 0);
        Assert.InRange(f.HiddenFraction, 0.0, 1.0);
        Assert.Equal(f.Offload.Median / f.Resident.Median, f.RatioToResident);
        Assert.StartsWith("params=host grads=host optimizer=host layers=all prefetch=1", f.Label);
    }

    [Fact]
    public void Scale_run_trains_a_delinked_real_giant_from_disk_and_deletes_the_store()
    {
        using var dir = new TempDir();
        var f = OffloadBenchmark.ScaleRun(dir.Path, dModel: 64, nLayer: 3, steps: 2, vocab: 50, seqLen: 8, lr: 1e-3);
        var config = new GiantSharp.Model.ModelConfig { NLayer = 3, NHead = 1, DModel = 64, DFf = 256, VocabSize = 50, SeqLen = 8 };
        Assert.Equal(OffloadAccounting.ResidentParameters(config) + 3 * OffloadAccounting.BlockParameters(config), f.Parameters);
        var n = OffloadAccounting.BlockParameters(config);                 // moments keep exp_avg_sq on a 4096-byte boundary
        Assert.Equal(3 * (16 * n + 4 * (GiantSharp.Offload.Storage.AlignedBuffer.Padded(n) - n)), f.StoreBytes);
        Assert.Equal(2, f.StepSeconds.Count);
        Assert.All(f.Losses, l => Assert.InRange(l, 3.0, 5.0));           // ~ln(50) = 3.9 for an untrained model
        Assert.True(f.PeakResidentBytes > 0);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }
}
