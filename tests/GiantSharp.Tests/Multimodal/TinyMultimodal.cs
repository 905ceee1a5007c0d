using GiantSharp.Model;
using static TorchSharp.torch;

namespace GiantSharp.Tests.Multimodal;

/// <summary>A tiny multimodal model shape (patch_dim 4) and random multimodal inputs with prefixes of different lengths.</summary>
internal static class TinyMultimodal
{
    public static ModelConfig Config(int nLayer = 4, string positional = "learned") => TinyModels.Config(nLayer, positional) with { PatchDim = 4 };

    /// <summary>(rows, seq_len, 2 + 4): random ids, the given prefix lengths (default 5, 0, 16, 9 ...), random 8-bit patches on the prefix.</summary>
    public static Tensor Input(ModelConfig config, int[]? prefix = null, long seed = 7)
    {
        prefix ??= [5, 0, config.SeqLen, 9];
        var g = new Generator().manual_seed(seed);
        using var scope = NewDisposeScope();
        var ids = randint(0, config.VocabSize, [prefix.Length, config.SeqLen], dtype: ScalarType.Int64, generator: g);
        var patches = randint(0, 256, [prefix.Length, config.SeqLen, config.PatchDim], dtype: ScalarType.Int64, generator: g);
        var onPrefix = arange(config.SeqLen).unsqueeze(0) < tensor(prefix.Select(p => (long)p).ToArray()).unsqueeze(1);   // (B, T)
        return ModelInput.Pack(ids, prefix, patches * onPrefix.unsqueeze(2)).MoveToOuterDisposeScope();
    }
}
