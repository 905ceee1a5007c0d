using GiantSharp.Inference;
using GiantSharp.Model;
using GiantSharp.Tests.Multimodal;
using static TorchSharp.torch;

namespace GiantSharp.Tests.Inference;

/// <summary>Decoding with a key/value cache gives the logits of the model's full forward pass, position by position.</summary>
public class KvCacheDecoderTests
{
    public static TheoryData<string, bool, bool> Cases => new()
    {
        { "learned", false, false }, { "rope", false, false }, { "learned", true, false }, { "rope", true, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Cached_steps_equal_the_full_forward(string positional, bool multimodal, bool moe)
    {
        using var scope = NewDisposeScope();
        var config = (multimodal ? TinyMultimodal.Config(positional: positional) : TinyModels.Config(positional: positional)) with
        {
            Moe = moe ? new MoeConfig { NumExperts = 4, NumPrototypes = 2, CapacityFactor = 4.0, MoeEvery = 2 } : null,
        };
        using var model = TinyModels.Build(config);
        int prompt = 7;
        var input = multimodal ? TinyMultimodal.Input(config, [6, 3]) : TinyModels.Tokens(config);     // prefixes inside the prompt
        if (multimodal) input[.., prompt.., ModelInput.PatchChannel..] = tensor(0L);                    // generated positions carry no patch
        var full = model.call(input);                                                                    // (B, T, V)
        using var decoder = new KvCacheDecoder(model);
        var logits = decoder.Prefill(input[.., ..prompt]);
        for (int t = prompt - 1; t < config.SeqLen; t++)
        {
            Assert.True(logits.sub(full[.., t]).abs().max().item<float>() < 1e-5f, $"position {t}");
            if (t + 1 < config.SeqLen)
                logits = decoder.Step(multimodal ? input[.., t + 1, ModelInput.TokenChannel] : input[.., t + 1]);
        }
        Assert.Equal(config.SeqLen, decoder.Length);
    }
}
