using GiantSharp.Model;
using GiantSharp.Sharing;
using static TorchSharp.torch;

namespace GiantSharp.Tests;

/// <summary>Tiny model shapes and inputs shared by tests. Fixed seeds: every test is deterministic.</summary>
internal static class TinyModels
{
    public static ModelConfig Config(int nLayer = 4, string positional = "learned") => new()
    {
        NLayer = nLayer, NHead = 2, DModel = 32, DFf = 64, VocabSize = 50, SeqLen = 16, Positional = positional,
    };

    public static GptModel Build(ModelConfig config, SharingPlan? plan = null, long seed = 1234)
    {
        manual_seed(seed);
        var model = new GptModel(config, (plan ?? SharingPlan.None).LayerMap(config.NLayer));
        model.eval();
        return model;
    }

    public static Tensor Tokens(ModelConfig config, int batch = 2, long seed = 7)
    {
        var g = new Generator().manual_seed(seed);
        return randint(0, config.VocabSize, [batch, config.SeqLen], dtype: ScalarType.Int64, generator: g);
    }
}
