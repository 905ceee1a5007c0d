using GiantSharp.Model;
using GiantSharp.Offload;
using GiantSharp.Offload.Storage;
using GiantSharp.Offload.Streaming;
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
        // Host tiers are used in place on the CPU (no slots); the disk optimizer stages two sets of four pieces, plus bounce buffers.
        var staging = 2 * 4 * 4 * AlignedBuffer.Padded(block) + Staging.BounceBytes(block);
        Assert.Equal(new TierBytes(4 * (resident + block), 4 * (resident + block), 8 * (resident + block), staging), fp.Device);
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

    [Fact]
    public void Expert_offload_puts_only_the_experts_on_their_tiers_and_the_rest_on_the_device()
    {
        using var scope = NewDisposeScope();
        // Tiny shape (C 32, d_ff 64, bias, vocab 50, seq 16), 4 experts, layers 1 and 3 MoE. By hand from ModelSize:
        const long expert = 2 * 32 * 64 + 64 + 32;                            // 4192: (C, d_ff), (d_ff, C) and biases
        const long experts = 4 * expert;                                      // 16768 per MoE block
        const long common = 2 * 64 + (32 * 96 + 96 + 32 * 32 + 32);           // 4352: two LayerNorms and attention
        const long dense = common + expert, moe = common + 4 * 32 + experts;  // 8544 and 21248 (router (E, C))
        const long outside = 50 * 32 + 16 * 32 + 64;                          // 2176: wte, wpe, ln_f
        var config = TinyModels.Config() with { Moe = ExpertOffloadTests.Moe };
        using (var model = TinyModels.Build(config))
        {
            Assert.Equal(new[] { dense, moe, dense, moe }, model.Layers.UniqueBlocks.Select(b => b.parameters().Sum(p => p.numel())));
            Assert.Equal(outside + 2 * dense + 2 * moe, model.parameters().Sum(p => p.numel()));
        }

        var offload = new OffloadConfig { Tensors = OffloadTensors.Experts, Params = Tier.Host, Grads = Tier.Host, Optimizer = Tier.Disk, Prefetch = 1, Dir = "d" };
        var fp = OffloadAccounting.Footprint(config, SharingPlan.None, offload);
        Assert.Equal(new TierBytes(4 * 2 * experts, 4 * 2 * experts, 0, 0), fp.Host);
        Assert.Equal(new TierBytes(0, 0, 8 * 2 * experts, 0), fp.Disk);
        const long onDevice = outside + 2 * dense + 2 * (moe - experts);      // attention, norms, router, dense blocks
        long optimizerStaging = 2 * 4 * 4 * AlignedBuffer.Padded(experts) + Staging.BounceBytes(experts);
        Assert.Equal(new TierBytes(4 * onDevice, 4 * onDevice, 8 * onDevice, optimizerStaging), fp.Device);
        Assert.Equal(outside + 2 * dense + 2 * moe, fp.Parameters);
        using (var model = TinyModels.Build(config))
            Assert.Equal(fp, OffloadPlan.For(model, offload).Footprint);

        // Largest fit with everything offloaded to disk: CPU memory holds the resident part and the staging.
        var disk = offload with { Params = Tier.Disk, Grads = Tier.Disk };
        // Streamed from disk: prefetch 1 + keep 1 parameter slots and 2 gradient slots of the padded experts.
        long Memory(int denseLayers, int moeLayers) => 16 * (outside + denseLayers * dense + moeLayers * (moe - experts)) + (2 + 2) * 4 * AlignedBuffer.Padded(experts) + optimizerStaging;
        var machine = new MachineResources(MemoryAvailableBytes: Memory(3, 3) + 5, DiskFreeBytes: long.MaxValue, DiskPath: "d");
        var fit = OffloadAccounting.LargestFitting(config, SharingPlan.None, disk, machine)!;
        Assert.Equal(6, fit.NLayer);                                          // 7 layers would add a dense block
        Assert.Equal(outside + 3 * dense + 3 * moe, fit.Parameters);
        Assert.Equal(Memory(3, 3), fit.Footprint.MemoryBytes(deviceIsCpu: true));
    }
}
