using GiantSharp.Offload;
using GiantSharp.Tests.Data;
using GiantSharp.Sharing;
using GiantSharp.Training.Steps;
using static GiantSharp.Tests.Offload.OffloadFixtures;
using static TorchSharp.torch;

namespace GiantSharp.Tests.Offload;

[Collection(OffloadCollection.Name)]
public class StoreDelinkerTests
{
    private const int PseudoSteps = 3;
    private const int RealSteps = 20;

    private static OffloadConfig DiskLast3(string dir) => new()
    {
        Params = Tier.Disk, Grads = Tier.Disk, Optimizer = Tier.Disk, Layers = LayerSelection.Last(3), Prefetch = 1, Dir = dir,
    };

    [Theory]
    [InlineData(OptimizerStateDelink.Copy)]
    [InlineData(OptimizerStateDelink.Scale)]
    [InlineData(OptimizerStateDelink.Reset)]
    public void Delinking_into_a_store_equals_delinking_in_memory(OptimizerStateDelink mode)
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        using var reference = NewModel(SharingPlan.All);
        using var refOpt = Optimizer();
        Train(reference, refOpt, new ResidentTrainStep(), 0, PseudoSteps);
        using var model = NewModel(SharingPlan.All);
        using var opt = Optimizer();
        Train(model, opt, new ResidentTrainStep(), 0, PseudoSteps);

        Delinker.Delink(reference, refOpt, mode);
        var session = StoreDelinker.DelinkToStore(model, opt, DiskLast3(dir.Path), mode);
        Assert.Equal(4, model.Layers.UniqueBlocks.Count);
        Assert.Equal(3, Directory.GetFiles(dir.Path, "*.params.f32").Length);
        session.Detach(opt);

        Assert.Equal(0.0, MaxRelativeDiff(model, reference));
        AssertSameState(refOpt, opt);
    }

    [Fact]
    public void Delinking_an_moe_pseudo_giant_into_a_store_of_experts_equals_delinking_in_memory()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        var moe = ExpertOffloadTests.Moe with { MoeEvery = 1 };                  // a shared block is MoE at every depth
        using var reference = NewModel(SharingPlan.All, moe: moe);
        using var refOpt = Optimizer();
        Train(reference, refOpt, new ResidentTrainStep(), 0, PseudoSteps);
        using var model = NewModel(SharingPlan.All, moe: moe);
        using var opt = Optimizer();
        Train(model, opt, new ResidentTrainStep(), 0, PseudoSteps);

        Delinker.Delink(reference, refOpt, OptimizerStateDelink.Scale);
        var session = StoreDelinker.DelinkToStore(model, opt, DiskLast3(dir.Path) with { Tensors = OffloadTensors.Experts });
        foreach (var (name, p) in model.named_parameters().Where(p => !p.name.StartsWith("h.0.", StringComparison.Ordinal) && p.name.StartsWith("h.", StringComparison.Ordinal)))
            Assert.True(name.Contains(".mlp.experts.") == (p.numel() == 0), $"{name}: {p.numel()} elements");
        Assert.Contains("h.3.mlp.router.weight", opt.State.Keys);                 // resident part of an offloaded layer
        Assert.DoesNotContain("h.3.mlp.experts.w_fc", opt.State.Keys);
        session.Detach(opt);

        Assert.Equal(0.0, MaxRelativeDiff(model, reference));
        AssertSameState(refOpt, opt);
    }

    private static void AssertSameState(GiantSharp.Training.Optim.AdamW expected, GiantSharp.Training.Optim.AdamW actual)
    {
        Assert.Equal(expected.State.Keys.Order(), actual.State.Keys.Order());
        foreach (var (name, st) in expected.State)
        {
            Assert.True(st.ExpAvg.equal(actual.State[name].ExpAvg).all().item<bool>(), name);
            Assert.True(st.ExpAvgSq.equal(actual.State[name].ExpAvgSq).all().item<bool>(), name);
            Assert.Equal(st.Step, actual.State[name].Step);
        }
    }

    [Fact]
    public void Training_after_delinking_into_a_disk_store_equals_resident_training()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        using var reference = NewModel(SharingPlan.All);
        using var refOpt = Optimizer();
        Train(reference, refOpt, new ResidentTrainStep(), 0, PseudoSteps);
        Delinker.Delink(reference, refOpt, OptimizerStateDelink.Scale);
        var refResults = Train(reference, refOpt, new ResidentTrainStep(), PseudoSteps, PseudoSteps + RealSteps);

        using var model = NewModel(SharingPlan.All);
        using var opt = Optimizer();
        Train(model, opt, new ResidentTrainStep(), 0, PseudoSteps);
        var session = StoreDelinker.DelinkToStore(model, opt, DiskLast3(dir.Path) with { Layers = LayerSelection.All });
        List<StepResult> results;
        using (var step = new LayerStreamedTrainStep(session))
            results = Train(model, opt, step, PseudoSteps, PseudoSteps + RealSteps);
        session.Detach(opt);

        Assert.All(refResults, r => Assert.True(r.GradNorm > Clip));
        Assert.Equal(refResults.Select(r => Math.Round(r.Loss, 5)), results.Select(r => Math.Round(r.Loss, 5)));
        var diff = MaxRelativeDiff(model, reference);
        Assert.True(diff <= 1e-5, $"relative difference {diff}");
    }
}
