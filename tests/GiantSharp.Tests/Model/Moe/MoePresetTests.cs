using GiantSharp.Model;
using static TorchSharp.torch;

namespace GiantSharp.Tests.Model.Moe;

public class MoePresetTests
{
    private static string Preset(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "configs", name);
            if (File.Exists(path)) return path;
        }
        throw new FileNotFoundException($"configs/{name} not found above {AppContext.BaseDirectory}");
    }

    [Fact]
    public void Tiny_moe_preset_parses_validates_and_builds()
    {
        var run = GiantSharp.Config.ConfigLoader.Load(Preset("m6-moe-tiny.json"));
        var config = run.Model;
        Assert.Equal(new[] { "all", "none" }, run.Stages.Select(s => s.Sharing.Mode));
        Assert.Equal(new MoeConfig
        {
            NumExperts = 8, TopK = 1, NumPrototypes = 2, CapacityFactor = 1.25, AuxLossCoef = 0.01,
            RouterZLossCoef = 0.001, RouterJitter = 0.01, MoeEvery = 1,
        }, config.Moe);
        Assert.Equal(0, config.VocabSize);

        using var scope = NewDisposeScope();
        using var model = TinyModels.Build(config with { VocabSize = 64 });
        var logits = model.call(zeros(1, 8, dtype: ScalarType.Int64));
        Assert.Equal(new long[] { 1, 8, 64 }, logits.shape);
        Assert.Equal(ModelSize.Of(config with { VocabSize = 64 }, config.NLayer).TotalParameters, model.parameters().Sum(p => p.numel()));
    }
}
