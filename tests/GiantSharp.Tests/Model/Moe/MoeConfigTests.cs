using GiantSharp.Errors;
using GiantSharp.Model;

namespace GiantSharp.Tests.Model.Moe;

public class MoeConfigTests
{
    public static TheoryData<string, string> BadConfigs => new()
    {
        // (what is wrong, expected key)
        { "top_k 3", "model.moe.top_k" },
        { "top_k 2 > 1 expert", "model.moe.top_k" },
        { "top_k 2 with prototypes", "model.moe.top_k" },
        { "top_k 0", "model.moe.top_k" },
        { "num_experts 0", "model.moe.num_experts" },
        { "num_experts 6 by 4 prototypes", "model.moe.num_experts" },
        { "num_prototypes 0", "model.moe.num_prototypes" },
        { "capacity_factor -1", "model.moe.capacity_factor" },
        { "capacity_factor NaN", "model.moe.capacity_factor" },
        { "capacity_factor inf", "model.moe.capacity_factor" },
        { "aux_loss_coef NaN", "model.moe.aux_loss_coef" },
        { "aux_loss_coef -0.1", "model.moe.aux_loss_coef" },
        { "router_z_loss_coef NaN", "model.moe.router_z_loss_coef" },
        { "router_jitter 1", "model.moe.router_jitter" },
        { "router_jitter NaN", "model.moe.router_jitter" },
        { "moe_every 0", "model.moe.moe_every" },
        { "moe_every 5 > n_layer 4", "model.moe.moe_every" },
    };

    private static MoeConfig Bad(string what) => what switch
    {
        "top_k 3" => new() { TopK = 3 },
        "top_k 2 > 1 expert" => new() { NumExperts = 1, TopK = 2 },
        "top_k 2 with prototypes" => new() { NumExperts = 8, NumPrototypes = 2, TopK = 2 },
        "top_k 0" => new() { TopK = 0 },
        "num_experts 0" => new() { NumExperts = 0 },
        "num_experts 6 by 4 prototypes" => new() { NumExperts = 6, NumPrototypes = 4 },
        "num_prototypes 0" => new() { NumPrototypes = 0 },
        "capacity_factor -1" => new() { CapacityFactor = -1 },
        "capacity_factor NaN" => new() { CapacityFactor = double.NaN },
        "capacity_factor inf" => new() { CapacityFactor = double.PositiveInfinity },
        "aux_loss_coef NaN" => new() { AuxLossCoef = double.NaN },
        "aux_loss_coef -0.1" => new() { AuxLossCoef = -0.1 },
        "router_z_loss_coef NaN" => new() { RouterZLossCoef = double.NaN },
        "router_jitter 1" => new() { RouterJitter = 1 },
        "router_jitter NaN" => new() { RouterJitter = double.NaN },
        "moe_every 0" => new() { MoeEvery = 0 },
        "moe_every 5 > n_layer 4" => new() { MoeEvery = 5 },
        _ => throw new ArgumentException(what),
    };

    [Theory]
    [MemberData(nameof(BadConfigs))]
    public void Invalid_moe_settings_name_their_key(string what, string key)
    {
        var config = TinyModels.Config() with { Moe = Bad(what) };
        var error = Assert.Throws<ConfigException>(() => config.Validate());
        Assert.Equal(key, error.Key);
    }

    [Fact]
    public void Valid_moe_settings_pass()
    {
        foreach (var moe in new MoeConfig[]
        {
            new(), new() { TopK = 2 }, new() { NumExperts = 8, NumPrototypes = 4 }, new() { NumExperts = 2, TopK = 2, CapacityFactor = 0 },
            new() { RouterJitter = 0.01, RouterZLossCoef = 1e-3, AuxLossCoef = 0 }, new() { MoeEvery = 4 },
        })
            (TinyModels.Config() with { Moe = moe }).Validate();
    }

    [Fact]
    public void Moe_every_n_puts_experts_in_every_nth_layer()
    {
        using var model = TinyModels.Build(MoeTestModels.Decoder(new MoeConfig { NumExperts = 2, MoeEvery = 2 }));
        Assert.Equal(new[] { false, true, false, true }, Enumerable.Range(0, 4).Select(i => model.Layers.LayerBlock(i).IsMoe).ToArray());
        Assert.IsType<FeedForward>(model.Layers.LayerBlock(0).Ffn);
        Assert.IsType<GiantSharp.Model.Moe.MoeFeedForward>(model.Layers.LayerBlock(1).Ffn);
    }
}
