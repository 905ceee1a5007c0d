using GiantSharp.Inference;
using GiantSharp.Model;
using static TorchSharp.torch;

namespace GiantSharp.Tests.Inference;

public class SamplerTests
{
    private static readonly int[] Prompt = [3, 14, 15, 9];

    /// <summary>Greedy decoding written out: full forward of the cropped context, argmax of the last position.</summary>
    private static int[] ArgmaxChain(GptModel model, int[] prompt, int steps)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var tokens = prompt.ToList();
        for (int i = 0; i < steps; i++)
        {
            var context = tokens.TakeLast(model.Config.SeqLen).Select(t => (long)t).ToArray();
            var logits = model.call(tensor(context).reshape(1, -1));                               // (1, T, V)
            tokens.Add((int)logits[0, context.Length - 1].argmax().item<long>());
        }
        return tokens.ToArray();
    }

    [Fact]
    public void Greedy_is_the_argmax_chain_and_crops_to_seq_len()
    {
        var config = TinyModels.Config(nLayer: 2);
        using var model = TinyModels.Build(config);
        var steps = config.SeqLen + 4;                                                            // runs past seq_len: cropping
        var greedy = Sampler.Generate(model, Prompt, steps, temperature: 0);
        Assert.Equal(ArgmaxChain(model, Prompt, steps), greedy);
        Assert.Equal(Prompt, greedy.Take(Prompt.Length));

        var longPrompt = Enumerable.Range(0, config.SeqLen + 5).Select(i => i % config.VocabSize).ToArray();
        Assert.Equal(ArgmaxChain(model, longPrompt, 3), Sampler.Generate(model, longPrompt, 3, temperature: 0));
    }

    [Fact]
    public void Top_k_1_and_a_tiny_top_p_are_greedy()
    {
        var config = TinyModels.Config(nLayer: 2);
        using var model = TinyModels.Build(config);
        var greedy = Sampler.Generate(model, Prompt, 10, temperature: 0);
        Assert.Equal(greedy, Sampler.Generate(model, Prompt, 10, temperature: 1.5, topK: 1, seed: 3));
        Assert.Equal(greedy, Sampler.Generate(model, Prompt, 10, temperature: 1.5, topP: 1e-6, seed: 4));
    }

    [Fact]
    public void The_same_seed_gives_the_same_tokens()
    {
        var config = TinyModels.Config(nLayer: 2);
        using var model = TinyModels.Build(config);
        var a = Sampler.Generate(model, Prompt, 12, temperature: 1.0, topK: 20, topP: 0.9, seed: 42);
        var b = Sampler.Generate(model, Prompt, 12, temperature: 1.0, topK: 20, topP: 0.9, seed: 42);
        Assert.Equal(a, b);
        Assert.Equal(Prompt.Length + 12, a.Length);
        Assert.All(a, t => Assert.InRange(t, 0, config.VocabSize - 1));
        // An untrained model is near uniform: other seeds draw other tokens.
        Assert.Contains(Enumerable.Range(0, 5), s => !Sampler.Generate(model, Prompt, 12, seed: s).SequenceEqual(a));
    }

    [Fact]
    public void Generation_stops_after_the_stop_token_and_restores_the_mode()
    {
        var config = TinyModels.Config(nLayer: 2);
        using var model = TinyModels.Build(config);
        model.train();
        var first = Sampler.Generate(model, Prompt, 1, temperature: 0)[^1];
        Assert.True(model.training);
        Assert.Equal([.. Prompt, first], Sampler.Generate(model, Prompt, 10, temperature: 0, stopToken: first));
        Assert.Equal(Prompt, Sampler.Generate(model, Prompt, 0));
    }

    [Theory]
    [InlineData(-0.5, 0, 1.0, "temperature")]
    [InlineData(double.NaN, 0, 1.0, "temperature")]
    [InlineData(1.0, -1, 1.0, "topK")]
    [InlineData(1.0, 0, 0.0, "topP")]
    [InlineData(1.0, 0, 1.5, "topP")]
    [InlineData(1.0, 0, -0.1, "topP")]
    public void Bad_arguments_throw_naming_the_parameter(double temperature, int topK, double topP, string name)
    {
        using var model = TinyModels.Build(TinyModels.Config(nLayer: 1));
        var e = Assert.ThrowsAny<ArgumentException>(() => Sampler.Generate(model, Prompt, 3, temperature, topK, topP));
        Assert.Equal(name, e.ParamName);
    }

    [Fact]
    public void Bad_prompts_and_counts_throw_naming_the_parameter()
    {
        using var model = TinyModels.Build(TinyModels.Config(nLayer: 1));
        Assert.Equal("prompt", Assert.Throws<ArgumentException>(() => Sampler.Generate(model, [], 3)).ParamName);
        Assert.Equal("prompt", Assert.Throws<ArgumentException>(() => Sampler.Generate(model, [50], 3)).ParamName);
        Assert.Equal("maxNewTokens", Assert.Throws<ArgumentException>(() => Sampler.Generate(model, Prompt, -1)).ParamName);
        Assert.Equal("stopToken", Assert.Throws<ArgumentException>(() => Sampler.Generate(model, Prompt, 1, stopToken: -2)).ParamName);
    }
}
