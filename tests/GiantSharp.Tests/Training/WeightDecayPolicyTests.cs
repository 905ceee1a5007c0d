using GiantSharp.Model;
using GiantSharp.Training.Optim;

namespace GiantSharp.Tests.Training;

/// <summary>Biases and norms never decay, whatever their rank; weight matrices do, embeddings do not.</summary>
public class WeightDecayPolicyTests
{
    [Theory]
    [InlineData("h.0.mlp.experts.b_fc", new long[] { 4, 64 }, false)]
    [InlineData("h.0.mlp.experts.b_proj", new long[] { 4, 16 }, false)]
    [InlineData("h.0.mlp.experts.w_fc", new long[] { 4, 16, 64 }, true)]
    [InlineData("h.0.attn.c_attn.bias", new long[] { 48 }, false)]
    [InlineData("h.0.attn.c_attn.weight", new long[] { 48, 16 }, true)]
    [InlineData("h.0.ln_1.weight", new long[] { 16 }, false)]
    [InlineData("wte.weight", new long[] { 51, 16 }, false)]
    public void Decays_only_weight_matrices(string name, long[] shape, bool decays) => Assert.Equal(decays, WeightDecayPolicy.Decays(name, shape));

    [Fact]
    public void No_bias_or_norm_of_a_moe_model_decays()
    {
        using var model = new GptModel(new ModelConfig { NLayer = 2, NHead = 2, DModel = 16, DFf = 32, SeqLen = 8, VocabSize = 20, Bias = true,
            Moe = new MoeConfig { NumExperts = 4 } });
        var decayed = model.named_parameters().Where(p => WeightDecayPolicy.Decays(p.name, p.parameter)).Select(p => p.name).ToList();
        Assert.NotEmpty(decayed);
        Assert.DoesNotContain(decayed, n => n.Split('.')[^1] is "bias" or "b_fc" or "b_proj" || n.Contains("ln"));
        Assert.Contains(model.named_parameters(), p => p.name.EndsWith("b_fc") && p.parameter.dim() == 2);   // the case the rank rule got wrong
    }
}
