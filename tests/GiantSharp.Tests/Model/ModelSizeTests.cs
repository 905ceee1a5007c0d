using GiantSharp.Model;
using GiantSharp.Sharing;
using static TorchSharp.torch;

namespace GiantSharp.Tests.Model;

public class ModelSizeTests
{
    public static TheoryData<string, string> Cases => new()
    {
        // (model, sharing plan)
        { "dense", "none" }, { "dense", "all" }, { "dense-rope-nobias", "group:2:cycle" },
        { "moe", "none" }, { "moe", "all" }, { "moe-top2-nobias", "group:2:sequence" },
        { "moe-every2-prototypes", "none" }, { "moe-every2-prototypes", "group:2:cycle" },
    };

    private static ModelConfig Model(string name) => name switch
    {
        "dense" => TinyModels.Config(),
        "dense-rope-nobias" => TinyModels.Config(positional: "rope") with { Bias = false },
        "moe" => TinyModels.Config() with { Moe = new MoeConfig { NumExperts = 4 } },
        "moe-top2-nobias" => TinyModels.Config() with { Bias = false, Moe = new MoeConfig { NumExperts = 4, TopK = 2 } },
        "moe-every2-prototypes" => TinyModels.Config() with { Moe = new MoeConfig { NumExperts = 8, NumPrototypes = 2, MoeEvery = 2 } },
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Analytic_counts_equal_the_built_models(string name, string planText)
    {
        using var scope = NewDisposeScope();
        var config = Model(name);
        var plan = System.Text.Json.JsonSerializer.Deserialize<SharingPlan>($"\"{planText}\"")!;
        using var shared = TinyModels.Build(config, plan);
        using var real = TinyModels.Build(config);
        var size = ModelSize.Of(config, shared.Layers.UniqueBlocks.Count);
        Assert.Equal(real.parameters().Sum(p => p.numel()), size.TotalParameters);
        Assert.Equal(shared.parameters().Sum(p => p.numel()), size.UniqueParameters);
        if (config.Moe is null) Assert.Equal(size.TotalParameters, size.ActiveParametersPerToken);
        else Assert.True(size.ActiveParametersPerToken < size.TotalParameters);
    }

    [Fact]
    public void Tiny_moe_counts_match_hand_arithmetic()
    {
        // n_layer 4, C 32, d_ff 64, V 50, T 16, learned positions, biases; 4 experts, top-1, every layer.
        // outside blocks: wte 1600 + wpe 512 + ln_f 64 = 2176. Block: ln 2 * 64, attn 3168 + 1056,
        // MoE: router 128 + 4 experts * 4192 = 16896 -> 21248; active block: 21248 - 3 * 4192 = 8672.
        var size = ModelSize.Of(TinyModels.Config() with { Moe = new MoeConfig { NumExperts = 4 } }, uniqueBlocks: 1);
        Assert.Equal(2176 + 4 * 21248, size.TotalParameters);
        Assert.Equal(2176 + 21248, size.UniqueParameters);
        Assert.Equal(2176 + 4 * 8672, size.ActiveParametersPerToken);
        Assert.Equal(6 * (2176 + 4 * 8672 - 512) + 12 * 4 * 32 * 16, size.FlopsPerToken);
    }

    [Fact]
    public void M6_10T_has_ten_trillion_parameters()
    {
        // 48 layers, d_model 1024, d_ff 9984, 10240 experts in 80 prototypes (M6-10T, Lin et al. 2021).
        var config = new ModelConfig
        {
            NLayer = 48, NHead = 16, DModel = 1024, DFf = 9984, VocabSize = 50000, SeqLen = 512,
            Moe = new MoeConfig { NumExperts = 10240, NumPrototypes = 80 },
        };
        var size = ModelSize.Of(config, uniqueBlocks: 1);
        Assert.InRange(size.TotalParameters, 10.0e12, 10.1e12);
        Assert.InRange(size.UniqueParameters, 0.2e12, 0.21e12);                           // one block: ~209.5 G experts
        Assert.InRange(size.ActiveParametersPerToken, 78e9, 80e9);                        // 80 experts per layer
    }

    [Fact]
    public void Unique_blocks_out_of_range_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ModelSize.Of(TinyModels.Config(), 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ModelSize.Of(TinyModels.Config(), 5));
    }
}
