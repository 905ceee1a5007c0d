using GiantSharp.Model;
using GiantSharp.Sharing;
using GiantSharp.Training.Optim;
using static TorchSharp.torch;

namespace GiantSharp.Tests.Sharing;

public class DelinkerTests
{
    public static TheoryData<string> Plans => new() { "all", "group:2:cycle", "group:2:sequence", "none" };

    private static SharingPlan Parse(string s) => System.Text.Json.JsonSerializer.Deserialize<SharingPlan>($"\"{s}\"")!;

    [Theory]
    [MemberData(nameof(Plans))]
    public void Delinking_preserves_logits(string plan)
    {
        using var scope = NewDisposeScope();
        foreach (var positional in new[] { "learned", "rope" })
        {
            var config = TinyModels.Config(positional: positional);
            using var model = TinyModels.Build(config, Parse(plan));
            var idx = TinyModels.Tokens(config);
            var before = model.call(idx);
            Delinker.Delink(model);
            var after = model.call(idx);
            Assert.Equal(config.NLayer, model.Layers.UniqueBlocks.Count);
            Assert.True(after.sub(before).abs().max().item<float>() <= 1e-6f, $"{plan}/{positional}: logits changed");
        }
    }

    [Fact]
    public void Delinked_layers_own_distinct_storage_and_train_apart()
    {
        using var scope = NewDisposeScope();
        var config = TinyModels.Config();
        using var model = TinyModels.Build(config, SharingPlan.All);
        Delinker.Delink(model);
        var w0 = model.Layers.LayerBlock(0).parameters().First();
        var w1 = model.Layers.LayerBlock(1).parameters().First();
        Assert.NotSame(w0, w1);
        Assert.NotEqual(TensorAddress.Of(w0), TensorAddress.Of(w1));
        using (no_grad()) w1.add_(1.0f);
        Assert.False(w0.allclose(w1));
    }

    [Fact]
    public void Shared_parameters_are_one_object_stored_and_counted_once()
    {
        using var scope = NewDisposeScope();
        var config = TinyModels.Config();
        using var shared = TinyModels.Build(config, SharingPlan.All);
        using var real = TinyModels.Build(config);
        for (int i = 1; i < config.NLayer; i++)
            Assert.Same(shared.Layers.LayerBlock(0), shared.Layers.LayerBlock(i));
        var sharedFirst = shared.Layers.LayerBlock(0).parameters().Select(p => TensorAddress.Of(p)).ToArray();
        Assert.Equal(sharedFirst, shared.Layers.LayerBlock(3).parameters().Select(p => TensorAddress.Of(p)).ToArray());

        long block = real.Layers.LayerBlock(0).parameters().Sum(p => p.numel());
        long total = real.parameters().Sum(p => p.numel());
        long sharedTotal = shared.parameters().Sum(p => p.numel());
        Assert.Equal(total - (config.NLayer - 1) * block, sharedTotal);
        Assert.Equal(shared.named_parameters().Count(), shared.named_parameters().Select(p => p.name).Distinct().Count());
        Assert.All(shared.named_parameters(), p => Assert.False(p.name.StartsWith("h.1.")));
    }

    [Theory]
    [InlineData(OptimizerStateDelink.Copy, 1.0, 1.0, 3)]
    [InlineData(OptimizerStateDelink.Scale, 0.25, 0.0625, 3)]
    [InlineData(OptimizerStateDelink.Reset, 0.0, 0.0, 0)]
    public void Optimizer_state_is_delinked_per_mode(OptimizerStateDelink mode, double mFactor, double vFactor, long step)
    {
        using var scope = NewDisposeScope();
        var config = TinyModels.Config();
        using var model = TinyModels.Build(config, SharingPlan.All);
        model.train();
        using var opt = new AdamW(new AdamWOptions());
        for (int s = 0; s < 3; s++)
        {
            model.zero_grad();
            model.call(TinyModels.Tokens(config, seed: s)).square().mean().backward();
            opt.Step(model.named_parameters(), 1e-3);
        }
        var before = opt.State.ToDictionary(kv => kv.Key, kv => (M: kv.Value.ExpAvg.clone(), V: kv.Value.ExpAvgSq.clone()));
        Delinker.Delink(model, opt, mode);

        var names = model.named_parameters().Select(p => p.name).ToHashSet();
        Assert.Equal(names, opt.State.Keys.ToHashSet());
        foreach (var (name, st) in opt.State)
        {
            var oldName = name.StartsWith("h.") ? "h.0." + name.Split('.', 3)[2] : name;
            var (m, v) = before[oldName];
            var isBlock = name.StartsWith("h.");
            Assert.True(st.ExpAvg.allclose(m * (isBlock ? mFactor : 1.0), rtol: 1e-6, atol: 1e-12), name);
            Assert.True(st.ExpAvgSq.allclose(v * (isBlock ? vFactor : 1.0), rtol: 1e-6, atol: 1e-15), name);
            Assert.Equal(isBlock ? step : 3, st.Step);
        }
        var distinct = opt.State.Values.Select(s => TensorAddress.Of(s.ExpAvg)).Distinct().Count();
        Assert.Equal(opt.State.Count, distinct);
    }

    [Fact]
    public void Sharing_transform_ties_a_built_model_and_counts_match_construction()
    {
        using var scope = NewDisposeScope();
        var config = TinyModels.Config();
        using var model = TinyModels.Build(config);
        SharingTransform.Apply(model, SharingPlan.Group(2, "sequence"));
        Assert.Equal(new[] { 0, 0, 1, 1 }, model.Layers.LayerToBlock);
        Assert.Same(model.Layers.LayerBlock(0), model.Layers.LayerBlock(1));
        Assert.NotSame(model.Layers.LayerBlock(1), model.Layers.LayerBlock(2));
        Assert.Equal(2, model.Layers.UniqueBlocks.Count);
    }
}
