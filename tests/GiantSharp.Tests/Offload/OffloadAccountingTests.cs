using GiantSharp.Model;
using GiantSharp.Offload;
using GiantSharp.Sharing;
using static TorchSharp.torch;

namespace GiantSharp.Tests.Offload;

[Collection(OffloadCollection.Name)]
public class OffloadAccountingTests
{
    [Theory]
    [InlineData(true, "learned")]
    [InlineData(false, "rope")]
    public void Parameter_counts_from_the_config_match_a_built_model(bool bias, string positional)
    {
        using var scope = NewDisposeScope();
        var config = TinyModels.Config(positional: positional) with { Bias = bias };
        using var model = TinyModels.Build(config);
        Assert.Equal(model.Layers.LayerBlock(0).parameters().Sum(p => p.numel()), OffloadAccounting.BlockParameters(config));
        Assert.Equal(model.parameters().Sum(p => p.numel()) - 4 * OffloadAccounting.BlockParameters(config), OffloadAccounting.ResidentParameters(config));
    }

    [Fact]
    public void Footprint_puts_16_bytes_per_parameter_where_the_plan_says()
    {
        using var scope = NewDisposeScope();
        var config = TinyModels.Config();
        long block = OffloadAccounting.BlockParameters(config), resident = OffloadAccounting.ResidentParameters(config);
        var offload = new OffloadConfig { Params = Tier.Host, Grads = Tier.Host, Optimizer = Tier.Disk, Layers = LayerSelection.Last(3), Prefetch = 1, Dir = "d" };
        var fp = OffloadAccounting.Footprint(config, SharingPlan.None, offload);
        Assert.Equal(new TierBytes(4 * 3 * block, 4 * 3 * block, 0, 0), fp.Host);
        Assert.Equal(new TierBytes(0, 0, 8 * 3 * block, 0), fp.Disk);
        Assert.Equal(new TierBytes(4 * (resident + block), 4 * (resident + block), 8 * (resident + block), 2 * 2 * 4 * block), fp.Device);
        Assert.Equal(16 * (resident + 4 * block), fp.TrainingStateBytes);

        using var model = TinyModels.Build(config);
        Assert.Equal(fp, OffloadPlan.For(model, offload).Footprint);

        var pseudo = OffloadAccounting.Footprint(config, SharingPlan.All, offload with { Layers = LayerSelection.All });
        Assert.Equal(TierBytes.Zero, pseudo.Host);                                            // the shared block stays on the device
        Assert.Equal(new TierBytes(0, 0, 8 * block, 0), pseudo.Disk);
    }

    [Fact]
    public void The_largest_fitting_model_fits_and_one_more_layer_does_not()
    {
        var config = TinyModels.Config();
        long block = OffloadAccounting.BlockParameters(config);
        var offload = new OffloadConfig { Params = Tier.Disk, Grads = Tier.Disk, Optimizer = Tier.Disk, Prefetch = 0, Dir = "d" };
        var machine = new MachineResources(MemoryAvailableBytes: 1L << 30, DiskFreeBytes: 16 * block * 10 + 5, DiskPath: "d");
        var fit = OffloadAccounting.LargestFitting(config, SharingPlan.None, offload, machine)!;
        Assert.Equal(10, fit.NLayer);
        Assert.Equal(OffloadAccounting.ResidentParameters(config) + 10 * block, fit.Parameters);
        Assert.Null(OffloadAccounting.LargestFitting(config, SharingPlan.None, offload, machine with { DiskFreeBytes = 100 }));
    }
}
