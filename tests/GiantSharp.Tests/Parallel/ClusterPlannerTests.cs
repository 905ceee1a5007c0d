using GiantSharp.Config;
using GiantSharp.Errors;
using GiantSharp.Model;
using GiantSharp.Offload.Planning;
using GiantSharp.Parallel.Planning;
using GiantSharp.Sharing;

namespace GiantSharp.Tests.Parallel;

/// <summary>
/// <see cref="ClusterPlanner"/> against numbers worked out by hand for a tiny model: n_layer 2, d_model 8, d_ff 16,
/// vocab 10, seq_len 4, biases. Block: LayerNorms 2 x 16, attention 8x24 + 24 + 8x8 + 8 = 288, FFN 2x8x16 + 16 + 8 = 280,
/// so 600; outside the stack: embedding 80 + positions 32 + final LayerNorm 16 = 128. Real Giant 1,328 parameters,
/// Pseudo Giant 728. Training FLOPs per token (Real): 6 x (1,328 - 32) + 12 x 2 x 8 x 4 = 8,544.
/// </summary>
public sealed class ClusterPlannerTests
{
    private static readonly ModelConfig Tiny = new() { NLayer = 2, NHead = 2, DModel = 8, DFf = 16, VocabSize = 10, SeqLen = 4 };
    private static readonly StageConfig Real = new() { Name = "real", Sharing = SharingPlan.None, MicroBatch = 2, GlobalBatch = 4 };
    private static readonly StageConfig Pseudo = new() { Name = "pseudo", Sharing = SharingPlan.All, MicroBatch = 2, GlobalBatch = 4 };
    private static readonly ClusterSpec Roomy = new() { Ranks = 1, DeviceMemory = 1L << 30, HostMemory = 0, Disk = 0, DeviceFlops = 1e6, Mfu = 0.5 };

    [Fact]
    public void A_resident_rank_holds_16_bytes_per_parameter_and_computes_tokens_times_flops_over_the_achieved_rate()
    {
        var real = ClusterPlanner.Plan(Tiny, Real, Roomy);
        Assert.Equal(1328, real.Parameters);
        Assert.Equal((4 * 1328L, 4 * 1328L, 8 * 1328L), (real.Weights, real.Gradients, real.Moments));
        Assert.False(real.Streams);
        Assert.True(real.Fits);
        Assert.Equal((0L, 0L), (real.Host, real.Disk));
        Assert.Equal(real.Activations + 16 * 1328L, real.Device);
        Assert.Equal(16 * 8544 / (1e6 * 0.5), real.ComputeSeconds, 12);            // 16 tokens per step
        Assert.Equal((0L, 0L, 0.0), (real.GradientBytes, real.ExpertBytes, real.CommSeconds));
        Assert.Equal(real.ComputeSeconds, real.StepSeconds, 12);
        Assert.Equal(728, ClusterPlanner.Plan(Tiny, Pseudo, Roomy).Parameters);
    }

    [Theory]
    [InlineData(0, 4 * 1328, 8 * 1328, 2)]
    [InlineData(1, 4 * 1328, 8 * 332, 3)]                                           // ceil(1,328 / 4) = 332
    [InlineData(2, 4 * 332, 8 * 332, 2)]
    public void ZeRO_shards_moments_then_gradients_and_the_ring_sends_three_quarters_of_each_pass(int stage, long grads, long moments, int passes)
    {
        var plan = ClusterPlanner.Plan(Tiny, Real, Roomy with { Ranks = 4, ZeroStage = stage, NetworkBandwidth = 1000 });
        Assert.Equal((4 * 1328L, grads, moments), (plan.Weights, plan.Gradients, plan.Moments));
        Assert.Equal((long)(0.75 * 4 * 1328 * passes), plan.GradientBytes);
        Assert.Equal(plan.GradientBytes / 1000.0, plan.CommSeconds, 12);
        Assert.Equal(4 * 8544 / (1e6 * 0.5), plan.ComputeSeconds, 12);             // 4 of the 16 tokens per rank
    }

    [Fact]
    public void A_state_too_big_for_the_device_streams_and_spills_moments_first_then_to_disk_beyond_the_host()
    {
        // Eight layers, so that streaming saves activations: 128 + 8 x 600 = 4,928 parameters; 32,448 FLOPs per token.
        var deep = Tiny with { NLayer = 8 };
        long streamedActivations = ActivationEstimate.Streamed(deep, 2, 1);
        long staging = 2L * 8 * (4928 / 8);                                         // two slots of a block's weights + gradients
        long device = streamedActivations + staging + 3 * 4 * 4928;                 // weights, gradients, half the moments
        Assert.True(ActivationEstimate.Resident(deep, 2) + 16 * 4928 > device, "premise: resident does not fit");
        var cluster = Roomy with { DeviceMemory = device, HostMemory = 4928, Disk = 1L << 20, HostBandwidth = 100, DiskBandwidth = 10 };
        var plan = ClusterPlanner.Plan(deep, Real, cluster);

        Assert.True(plan.Streams);
        Assert.Equal(streamedActivations, plan.Activations);
        Assert.Equal(device, plan.Device);
        Assert.Equal((4928L, 4 * 4928L - 4928), (plan.Host, plan.Disk));           // half the moments off: 4,928 B to host, the rest to disk
        Assert.True(plan.Fits);
        // Link: parameters whose moments are off the device step on the host: 2,464 of them, 8 B each.
        Assert.Equal(8.0 * 2464 / 100, plan.HostSeconds, 12);
        // Disk: its moments read and written once.
        Assert.Equal(2.0 * (4 * 4928 - 4928) / 10, plan.DiskSeconds, 12);
        Assert.Equal(16 * 32448 / (1e6 * 0.5) * 4 / 3, plan.ComputeSeconds, 12);  // the forward runs again in the backward
        Assert.Equal(Math.Max(plan.ComputeSeconds, Math.Max(plan.HostSeconds, plan.DiskSeconds)), plan.StepSeconds, 12);

        Assert.False(ClusterPlanner.Plan(deep, Real, cluster with { Disk = 100 }).Fits);
    }

    [Fact]
    public void Expert_parallelism_gives_each_rank_its_share_of_the_experts_and_refuses_an_uneven_split()
    {
        var moe = Tiny with { Moe = new MoeConfig { NumExperts = 4 } };
        // MoE block: router 4 x 8 + 4 experts x 280 = 1,152 FFN parameters; experts stored in the two layers: 2 x 1,120.
        long total = 128 + 2 * (32 + 288 + 1152);
        var plan = ClusterPlanner.Plan(moe, Real, Roomy with { Ranks = 2, ExpertParallel = true });
        Assert.Equal(total - 2240 + 1120, plan.Parameters);
        Assert.True(plan.ExpertBytes > 0);
        Assert.Equal(total, ClusterPlanner.Plan(moe, Real, Roomy with { Ranks = 2 }).Parameters);
        var error = Assert.Throws<ConfigException>(() => ClusterPlanner.Plan(moe, Real, Roomy with { Ranks = 3, ExpertParallel = true }));
        Assert.Contains("--expert-parallel", error.Message);
        Assert.Throws<ConfigException>(() => ClusterPlanner.Plan(Tiny, Real, Roomy with { Mfu = 1.5 }));
    }
}
