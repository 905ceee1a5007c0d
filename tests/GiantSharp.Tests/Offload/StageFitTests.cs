using GiantSharp.Config;
using GiantSharp.Model;
using GiantSharp.Offload;
using GiantSharp.Offload.Planning;
using GiantSharp.Sharing;

namespace GiantSharp.Tests.Offload;

/// <summary>
/// <c>giant info</c>'s verdict per stage: resident, streaming N layers from disk, or not fitting with the smallest budget,
/// all from the memory planner that <c>giant train</c> uses; the printed minimum is the budget at which the planner succeeds.
/// </summary>
public class StageFitTests
{
    private static readonly ModelConfig Model = new() { NLayer = 8, NHead = 2, DModel = 64, DFf = 256, VocabSize = 50, SeqLen = 32 };
    private static readonly MachineResources Roomy = new(MemoryAvailableBytes: 1L << 40, DiskFreeBytes: 1L << 40, DiskPath: "/store");

    private static RunConfig Run(long? budget, bool? pseudoOffload = null) => new RunConfig
    {
        OutDir = "runs/fit",
        Data = new DataConfig { Dir = "d" },
        Model = Model,
        Stages = [new StageConfig { Name = "pseudo", Sharing = SharingPlan.All, MicroBatch = 4, GlobalBatch = 4, Offload = pseudoOffload },
                  new StageConfig { Name = "real", Sharing = SharingPlan.None, MicroBatch = 4, GlobalBatch = 4 }],
        Offload = budget is null ? null : new OffloadConfig { MaxMemory = budget, Dir = "/nonexistent/fit" },
    }.Validate();

    private static long ResidentReal => MemoryPlanner.ResidentBytes(Model, SharingPlan.None.LayerMap(8), 4);

    [Fact]
    public void Activations_scale_with_micro_batch_and_seq_len()
    {
        var fit = StageFit.Of(Run(null), 1, Roomy);
        Assert.Equal(ActivationEstimate.Resident(Model, 4), fit.ActivationBytes);
        Assert.Equal(2 * ActivationEstimate.Resident(Model, 4), ActivationEstimate.Resident(Model, 8));   // linear in B without dropout
        long perLayer = 4L * 4 * 32 * (10 * 64 + 2 * 256);                    // 4 bytes x B·T x (10 C + 2 d_ff)
        Assert.Equal(8 * perLayer + 4L * 3 * 4 * 32 * 50, fit.ActivationBytes); // + the head's logits, softmax and gradient (3 B·T·V)
        Assert.Equal(FitVerdict.Resident, fit.Verdict);
        Assert.Equal(ResidentReal, fit.ResidentBytes);
    }

    [Fact]
    public void Without_a_budget_the_verdict_compares_the_resident_need_with_available_memory()
    {
        var small = Roomy with { MemoryAvailableBytes = ResidentReal - 1 };
        var fit = StageFit.Of(Run(null), 1, small);
        Assert.Equal(FitVerdict.DoesNotFit, fit.Verdict);
        Assert.Contains($"training resident needs {ResidentReal / 1048576.0:0.00} MiB", fit.Describe(8));
        Assert.Equal(FitVerdict.Resident, StageFit.Of(Run(null), 0, small).Verdict);   // the Pseudo Giant is smaller
    }

    [Fact]
    public void Under_a_budget_the_pseudo_giant_is_resident_and_the_real_giant_streams_the_planned_layers()
    {
        long budget = ResidentReal * 2 / 3;
        var run = Run(budget);
        var pseudo = StageFit.Of(run, 0, Roomy);
        var real = StageFit.Of(run, 1, Roomy);
        Assert.Equal(FitVerdict.Resident, pseudo.Verdict);
        Assert.StartsWith("fits resident: ", pseudo.Describe(8));
        Assert.Equal(FitVerdict.Streams, real.Verdict);
        var plan = StageOffload.Plan(run, 1, SharingPlan.None.LayerMap(8))!;   // what giant train would do
        int fromDisk = plan.Config!.Placement!.Count(t => t is { Params: Tier.Disk });
        Assert.InRange(fromDisk, 1, 8);
        Assert.Equal(fromDisk, real.StreamedLayers);
        Assert.Equal(plan.ActivationBytes, real.ActivationBytes);
        Assert.Equal(plan.Footprint!.Disk.Total, real.DiskBytes);
        Assert.StartsWith($"streams {fromDisk} of 8 layers from disk", real.Describe(8));
        Assert.EndsWith(plan.Summary(), real.Describe(8));
    }

    [Fact]
    public void A_budget_below_the_smallest_plan_names_the_minimum_and_that_minimum_plans()
    {
        var fit = StageFit.Of(Run(1L << 20), 1, Roomy);
        Assert.Equal(FitVerdict.DoesNotFit, fit.Verdict);
        long minimum = fit.MinimumBytes!.Value;
        long printed = (minimum + (1L << 20) - 1) >> 20 << 20;
        Assert.Contains($"max_memory must be at least {ByteSize.Format(printed)}", fit.Describe(8));
        Assert.NotEqual(FitVerdict.DoesNotFit, StageFit.Of(Run(minimum), 1, Roomy).Verdict);   // once over budget: prefetch 2 undone to 1 when 1 had not fit
        Assert.NotEqual(FitVerdict.DoesNotFit, StageFit.Of(Run(printed), 1, Roomy).Verdict);
        Assert.Equal(FitVerdict.DoesNotFit, StageFit.Of(Run(minimum - 1), 1, Roomy).Verdict);
    }

    [Fact]
    public void No_budget_from_the_minimum_up_gets_a_plan_over_it()
    {
        var map = SharingPlan.None.LayerMap(8);
        var offload = new OffloadConfig { MaxMemory = 1, Dir = "/nonexistent/fit" };
        long minimum = MemoryPlanner.MinimumBytes(Model, map, 4, offload);
        for (long budget = minimum; budget < ResidentReal; budget += 64 << 10)
        {
            var plan = MemoryPlanner.Plan(Model, map, 4, offload with { MaxMemory = budget });
            Assert.True(plan.PlannedBytes <= budget, $"budget {budget}: {plan.Summary()}");
        }
        Assert.Throws<GiantSharp.Errors.ConfigException>(() => MemoryPlanner.Plan(Model, map, 4, offload with { MaxMemory = minimum - 1 }));
    }

    [Fact]
    public void A_stage_forced_resident_over_the_budget_does_not_fit()
    {
        long pseudoResident = MemoryPlanner.ResidentBytes(Model, SharingPlan.All.LayerMap(8), 4);
        var fit = StageFit.Of(Run(pseudoResident - 1, pseudoOffload: false), 0, Roomy);
        Assert.Equal(FitVerdict.DoesNotFit, fit.Verdict);
        Assert.Equal(pseudoResident, fit.MinimumBytes);
        Assert.Contains("\"offload\": false", fit.Describe(8));
    }

    [Fact]
    public void A_plan_whose_store_exceeds_the_free_disk_does_not_fit()
    {
        var run = Run(ResidentReal * 2 / 3);
        long disk = StageFit.Of(run, 1, Roomy).DiskBytes;
        var fit = StageFit.Of(run, 1, Roomy with { DiskFreeBytes = disk - 1 });
        Assert.Equal(FitVerdict.DoesNotFit, fit.Verdict);
        Assert.Contains("free at /store", fit.Describe(8));
    }
}
