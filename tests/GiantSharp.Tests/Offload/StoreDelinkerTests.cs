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
        Assert.Equal(refOpt.State.Keys.Order(), opt.State.Keys.Order());
        foreach (var (name, st) in refOpt.State)
        {
            Assert.True(st.ExpAvg.equal(opt.State[name].ExpAvg).all().item<bool>(), name);
            Assert.True(st.ExpAvgSq.equal(opt.State[name].ExpAvgSq).all().item<bool>(), name);
            Assert.Equal(st.Step, opt.State[name].Step);
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
