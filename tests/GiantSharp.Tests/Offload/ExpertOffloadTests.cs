using GiantSharp.Model;
using GiantSharp.Offload;
using GiantSharp.Tests.Data;
using GiantSharp.Training.Steps;
using static GiantSharp.Tests.Offload.OffloadFixtures;
using static TorchSharp.torch;

namespace GiantSharp.Tests.Offload;

/// <summary>Offloading at expert granularity (<c>offload.tensors: experts</c>, issue 4): only MoE experts leave the device.</summary>
[Collection(OffloadCollection.Name)]
public class ExpertOffloadTests
{
    private const double Tolerance = 1e-5;
    private const int Steps = 8;

    /// <summary>Layers 1 and 3 of the 4-layer tiny model are MoE (4 experts in 2 prototypes), 0 and 2 dense.</summary>
    internal static readonly MoeConfig Moe = new() { NumExperts = 4, NumPrototypes = 2, CapacityFactor = 1.25, AuxLossCoef = 0.01, RouterZLossCoef = 0.001, MoeEvery = 2 };

    private static OffloadConfig Experts(string dir) => new() { Tensors = OffloadTensors.Experts, Params = Tier.Disk, Grads = Tier.Host, Optimizer = Tier.Disk, Prefetch = 2, Dir = dir };

    private static bool IsExpert(string name) => name.Contains(".mlp.experts.", StringComparison.Ordinal);

    [Fact]
    public void Experts_on_host_equal_resident_training()
    {
        var diff = TrainBothAndCompare(null, _ => new OffloadConfig { Tensors = OffloadTensors.Experts, Params = Tier.Host, Grads = Tier.Host, Optimizer = Tier.Host, Prefetch = 1 }, moe: Moe, steps: Steps);
        Assert.True(diff <= Tolerance, $"relative difference {diff}");
    }

    [Fact]
    public void Experts_on_disk_equal_resident_training()
    {
        var diff = TrainBothAndCompare(null, dir => new OffloadConfig
        {
            Tensors = OffloadTensors.Experts, Params = Tier.Disk, Grads = Tier.Disk, Optimizer = Tier.Disk, Layers = LayerSelection.Last(3), Prefetch = 2, Dir = dir,
        }, moe: Moe, steps: Steps);
        Assert.True(diff <= Tolerance, $"relative difference {diff}");
    }

    [Fact]
    public void Experts_with_params_on_the_device_and_state_offloaded_equal_resident_training()
    {
        // ZeRO-Offload style: expert weights stay, their gradients and moments leave; the rest of the block is untouched.
        var diff = TrainBothAndCompare(null, dir => new OffloadConfig { Tensors = OffloadTensors.Experts, Params = Tier.Device, Grads = Tier.Host, Optimizer = Tier.Disk, Dir = dir }, moe: Moe, steps: Steps);
        Assert.True(diff <= Tolerance, $"relative difference {diff}");
    }

    [Fact]
    public void Attach_hollows_only_the_experts_and_detach_restores_parameters_and_moments()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        using var model = NewModel(moe: Moe);
        using var opt = Optimizer();
        Train(model, opt, new ResidentTrainStep(), 0, 1);                      // every parameter has AdamW state
        var before = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
        var moments = opt.State.ToDictionary(kv => kv.Key, kv => kv.Value.Clone());

        var session = OffloadSession.Attach(model, opt, Experts(dir.Path));
        var names = model.named_parameters().Select(p => p.name).ToArray();
        Assert.Equal(8, names.Count(IsExpert));                               // w_fc, b_fc, w_proj, b_proj in layers 1 and 3
        foreach (var (name, p) in model.named_parameters())
            Assert.True(IsExpert(name) ? p.numel() == 0 : p.numel() == before[name].numel(), $"{name}: {p.numel()} elements");
        Assert.Contains("h.1.mlp.router.weight", names);
        Assert.Equal(names.Where(n => !IsExpert(n)).Order(), opt.State.Keys.Order());   // attention, norms, router: resident optimizer
        Assert.Equal(names.Where(IsExpert).Order(), session.Steps.Keys.Order());
        Assert.Equal(new[] { 1, 3 }, session.Plan.Managed.Select(p => p.Block));
        Assert.Equal(2, Directory.GetFiles(dir.Path, "*.params.f32").Length);

        session.Detach(opt);
        Assert.Empty(Directory.GetFiles(dir.Path));
        foreach (var (name, p) in model.named_parameters())
            Assert.True(p.allclose(before[name], rtol: 0, atol: 0), $"{name} changed");
        Assert.Equal(moments.Keys.Order(), opt.State.Keys.Order());
        foreach (var (name, st) in moments)
        {
            Assert.True(st.ExpAvg.allclose(opt.State[name].ExpAvg, rtol: 0, atol: 0) && st.ExpAvgSq.allclose(opt.State[name].ExpAvgSq, rtol: 0, atol: 0), $"{name}: moments changed");
            Assert.Equal(st.Step, opt.State[name].Step);
        }
    }

    [Fact]
    public void A_resumed_expert_offloaded_run_equals_an_uninterrupted_one() => AssertResumeEqualsUninterrupted(Moe, Experts, Steps, (checkpoint, resident) =>
    {
        Assert.Contains("h.3.attn.c_attn.weight", resident);                   // attention and router of MoE blocks: general checkpoint
        Assert.Contains("h.3.mlp.router.weight", resident);
        Assert.DoesNotContain(resident, IsExpert);
        using var dir = new TempDir();
        using var fresh = NewModel(moe: Moe);
        var refused = Assert.Throws<GiantSharp.Errors.DataException>(() => OffloadSession.Load(checkpoint, fresh, Experts(dir.Path) with { Tensors = OffloadTensors.All }));
        Assert.Contains("offload.tensors 'experts'", refused.Message);
    });

    [Fact]
    public void Experts_on_a_model_without_moe_layers_is_a_config_error()
    {
        using var scope = NewDisposeScope();
        using var model = NewModel();
        using var opt = Optimizer();
        var config = new OffloadConfig { Tensors = OffloadTensors.Experts };
        var e = Assert.Throws<GiantSharp.Errors.ConfigException>(() => OffloadPlan.For(model, config));
        Assert.Equal("offload.tensors", e.Key);
        Assert.Contains("the model has no MoE layers", e.Message);
        Assert.Throws<GiantSharp.Errors.ConfigException>(() => OffloadSession.Attach(model, opt, config));
        Assert.All(model.parameters(), p => Assert.NotEqual(0, p.numel()));
        Assert.Equal("offload.tensors", Assert.Throws<GiantSharp.Errors.ConfigException>(
            () => OffloadAccounting.Footprint(TinyModels.Config(), GiantSharp.Sharing.SharingPlan.None, config)).Key);
    }
}
