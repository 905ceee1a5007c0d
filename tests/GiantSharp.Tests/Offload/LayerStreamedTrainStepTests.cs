using GiantSharp.Offload;
using GiantSharp.Tests.Data;
using GiantSharp.Sharing;
using GiantSharp.Training.Steps;
using static GiantSharp.Tests.Offload.OffloadFixtures;
using static TorchSharp.torch;

namespace GiantSharp.Tests.Offload;

[Collection(OffloadCollection.Name)]
public class LayerStreamedTrainStepTests
{
    private const double Tolerance = 1e-5;

    [Fact]
    public void A_streamed_step_reports_its_transfer_stall_and_hidden_share_as_metrics()
    {
        using var scope = NewDisposeScope();
        using var model = NewModel();
        using var opt = Optimizer();
        var session = OffloadSession.Attach(model, opt, new OffloadConfig { Params = Tier.Host, Grads = Tier.Host, Optimizer = Tier.Host, Prefetch = 1 });
        using (var step = new LayerStreamedTrainStep(session))
        {
            var result = Train(model, opt, step, 0, 1).Single();
            var stats = step.LastStats!;
            Assert.True(stats.TransferSeconds > 0);
            Assert.Equal(stats.TransferSeconds, result.Metrics[OffloadStats.TransferKey]);
            Assert.Equal(stats.StallSeconds, result.Metrics[OffloadStats.StallKey]);
            Assert.Equal(Math.Clamp(1 - stats.StallSeconds / stats.TransferSeconds, 0, 1), result.Metrics[OffloadStats.HiddenKey], 12);
        }
        session.Detach(opt);
    }

    [Fact]
    public void Host_tier_all_layers_equals_resident_training()
    {
        var diff = TrainBothAndCompare(null, _ => new OffloadConfig { Params = Tier.Host, Grads = Tier.Host, Optimizer = Tier.Host, Prefetch = 1 });
        Assert.True(diff <= Tolerance, $"relative difference {diff}");
    }

    [Fact]
    public void Disk_tier_last_layers_equals_resident_training()
    {
        var diff = TrainBothAndCompare(null, dir => new OffloadConfig
        {
            Params = Tier.Disk, Grads = Tier.Disk, Optimizer = Tier.Disk, Layers = LayerSelection.Last(3), Prefetch = 2, Dir = dir,
        });
        Assert.True(diff <= Tolerance, $"relative difference {diff}");
    }

    [Fact]
    public void Disk_tier_with_optimizer_pieces_that_cut_tensors_equals_resident_training()
    {
        // The disk-tier AdamW reads, updates and writes 1024-element pieces: most tensors span several, many pieces
        // hold the end of one tensor and the start of the next; the gradients are read back for the second micro-batch.
        var before = GiantSharp.Offload.Streaming.StreamedOptimizer.PieceElements;
        GiantSharp.Offload.Streaming.StreamedOptimizer.PieceElements = 1024;
        try
        {
            var diff = TrainBothAndCompare(null, dir => new OffloadConfig { Params = Tier.Disk, Grads = Tier.Disk, Optimizer = Tier.Disk, Prefetch = 1, Dir = dir }, steps: 6);
            Assert.True(diff <= Tolerance, $"relative difference {diff}");
        }
        finally
        {
            GiantSharp.Offload.Streaming.StreamedOptimizer.PieceElements = before;
        }
    }

    [Fact]
    public void Dropout_masks_are_replayed_in_the_recompute()
    {
        var diff = TrainBothAndCompare(null, _ => new OffloadConfig { Layers = LayerSelection.Share(0.5) }, dropout: 0.1);
        Assert.True(diff <= Tolerance, $"relative difference {diff}");
    }

    [Fact]
    public void Pseudo_giant_with_offloaded_optimizer_equals_resident_training()
    {
        var diff = TrainBothAndCompare(SharingPlan.All, dir => new OffloadConfig { Params = Tier.Disk, Grads = Tier.Host, Optimizer = Tier.Disk, Dir = dir });
        Assert.True(diff <= Tolerance, $"relative difference {diff}");
    }

    [Fact]
    public void Moe_model_with_offloaded_experts_equals_resident_training()
    {
        // Issue 4: the MoE layers (router + experts, with their auxiliary losses) stream like dense ones.
        var moe = new GiantSharp.Model.MoeConfig { NumExperts = 4, NumPrototypes = 2, CapacityFactor = 1.25, AuxLossCoef = 0.01, RouterZLossCoef = 0.001, MoeEvery = 2 };
        var diff = TrainBothAndCompare(null, dir => new OffloadConfig { Params = Tier.Disk, Grads = Tier.Host, Optimizer = Tier.Disk, Dir = dir, Prefetch = 1 }, moe: moe);
        Assert.True(diff <= Tolerance, $"relative difference {diff}");
    }

    [Theory]
    [InlineData(2, 0)]
    [InlineData(3, 1)]
    [InlineData(4, 2)]
    public void Keeping_the_last_layers_activations_equals_resident_training(int keep, int prefetch)
    {
        // The kept layers skip their recompute and stay bound from forward to backward; dropout and MoE aux losses included.
        var moe = new GiantSharp.Model.MoeConfig { NumExperts = 4, NumPrototypes = 2, CapacityFactor = 1.25, AuxLossCoef = 0.01, MoeEvery = 2 };
        var diff = TrainBothAndCompare(null, dir => new OffloadConfig
        {
            Params = Tier.Disk, Grads = Tier.Host, Optimizer = Tier.Disk, Dir = dir, Prefetch = prefetch, KeepActivations = keep,
        }, dropout: 0.1, moe: moe);
        Assert.True(diff <= Tolerance, $"relative difference {diff}");
    }

    [Fact]
    public void Keep_activations_outside_one_to_n_layer_is_refused()
    {
        var e = Assert.Throws<GiantSharp.Errors.ConfigException>(() => new OffloadConfig { KeepActivations = 0 }.Validate(4));
        Assert.Equal("offload.keep_activations", e.Key);
        Assert.Throws<GiantSharp.Errors.ConfigException>(() => new OffloadConfig { KeepActivations = 5 }.Validate(4));
    }
}
