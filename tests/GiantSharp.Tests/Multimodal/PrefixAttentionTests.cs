using GiantSharp.Model;
using GiantSharp.Sharing;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace GiantSharp.Tests.Multimodal;

/// <summary>M6's attention: bidirectional over the conditioning prefix, causal after it.</summary>
public class PrefixAttentionTests
{
    [Fact]
    public void Mask_equals_a_hand_built_prefix_lm_mask()
    {
        using var scope = NewDisposeScope();
        var mask = PrefixLmMask.Build([2, 0, 4], 4, CPU);
        bool[,,] expected =
        {
            // prefix 2: rows 0-1 see 0-1; rows 2, 3 causal
            { { true, true, false, false }, { true, true, false, false }, { true, true, true, false }, { true, true, true, true } },
            // prefix 0: causal
            { { true, false, false, false }, { true, true, false, false }, { true, true, true, false }, { true, true, true, true } },
            // prefix 4: everything sees everything
            { { true, true, true, true }, { true, true, true, true }, { true, true, true, true }, { true, true, true, true } },
        };
        Assert.Equal([3L, 1, 4, 4], mask.shape);
        for (int b = 0; b < 3; b++)
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++)
                    Assert.True(expected[b, i, j] == mask[b, 0, i, j].item<bool>(), $"row {b}, query {i}, key {j}");
    }

    [Fact]
    public void Attention_with_a_prefix_equals_explicit_masked_softmax_attention()
    {
        using var scope = NewDisposeScope();
        var config = TinyMultimodal.Config();
        manual_seed(3);
        using var attn = new CausalSelfAttention(config);
        attn.eval();
        var x = randn(3, config.SeqLen, config.DModel);
        int[] prefix = [5, 0, 16];
        attn.PrefixLengths = prefix;
        var actual = attn.call(x);

        // Reference we did not write with SDPA: softmax(QK^T / sqrt(d) + mask) V, with the mask built by hand.
        var p = attn.named_parameters().ToDictionary(kv => kv.name, kv => kv.parameter);
        long b = 3, t = config.SeqLen, h = config.NHead, hd = config.HeadDim, c = config.DModel;
        var qkv = functional.linear(x, p["c_attn.weight"], p["c_attn.bias"]).split(c, dim: 2);
        Tensor Heads(Tensor z) => z.view(b, t, h, hd).transpose(1, 2);
        var scores = Heads(qkv[0]).matmul(Heads(qkv[1]).transpose(-2, -1)) / Math.Sqrt(hd);           // (B, H, T, T)
        var allowed = zeros(b, 1, t, t, dtype: ScalarType.Bool);
        for (int r = 0; r < b; r++)
            for (int i = 0; i < t; i++)
                for (int j = 0; j < t; j++)
                    if (j <= i || j < prefix[r]) allowed[r, 0, i, j] = tensor(true);
        var y = softmax(scores.masked_fill(allowed.logical_not(), double.NegativeInfinity), -1).matmul(Heads(qkv[2]));
        var expected = functional.linear(y.transpose(1, 2).contiguous().view(b, t, c), p["c_proj.weight"], p["c_proj.bias"]);
        Assert.True(actual.sub(expected).abs().max().item<float>() < 1e-5f);
    }

    [Theory]
    [InlineData("learned")]
    [InlineData("rope")]
    public void Prefix_positions_see_the_whole_prefix_and_later_positions_only_the_past(string positional)
    {
        using var scope = NewDisposeScope();
        var config = TinyMultimodal.Config(positional: positional);
        using var model = TinyModels.Build(config);
        int[] prefix = [6, 6];
        var input = TinyMultimodal.Input(config, prefix);
        var before = model.call(input);
        // Change the last prefix position (5) and, separately, a generated position (10).
        foreach (var (pos, channel) in new[] { (5, ModelInput.PatchChannel), (10, ModelInput.TokenChannel) })
        {
            var changed = input.clone();
            changed[.., pos, channel] = (changed[.., pos, channel] + 1) % 50;
            var after = model.call(changed);
            var moved = after.sub(before).abs().amax([0, 2]);                                     // (T): largest change per position
            for (int t = 0; t < config.SeqLen; t++)
            {
                bool sees = t >= pos || (pos < 6 && t < 6);
                Assert.True(sees == moved[t].item<float>() > 1e-6f, $"{positional}: change at {pos}, position {t} {(sees ? "should" : "should not")} move");
            }
        }
    }

    [Fact]
    public void Multimodal_input_without_prefix_or_patches_gives_the_text_logits()
    {
        using var scope = NewDisposeScope();
        var config = TinyMultimodal.Config();
        using var model = TinyModels.Build(config);
        var ids = TinyModels.Tokens(config);
        var packed = ModelInput.Pack(ids, [0, 0], zeros(2, config.SeqLen, config.PatchDim, dtype: ScalarType.Int64));
        Assert.Equal(0f, model.call(packed).sub(model.call(ids)).abs().max().item<float>());
    }

    [Fact]
    public void A_prefix_that_is_not_a_leading_run_is_refused()
    {
        using var scope = NewDisposeScope();
        var config = TinyMultimodal.Config();
        using var model = TinyModels.Build(config);
        var input = TinyMultimodal.Input(config, [4, 4]);
        input[1, 9, ModelInput.PrefixChannel] = tensor(1L);
        var e = Assert.Throws<ArgumentException>(() => model.call(input));
        Assert.Contains("leading run", e.Message);
        Assert.Throws<ArgumentException>(() => model.call(input[.., .., ..3]));   // channels do not match patch_dim
    }

    [Theory]
    [InlineData("all")]
    [InlineData("group:2:cycle")]
    public void Delinking_preserves_multimodal_logits(string plan)
    {
        using var scope = NewDisposeScope();
        foreach (var positional in new[] { "learned", "rope" })
        {
            var config = TinyMultimodal.Config(positional: positional);
            using var model = TinyModels.Build(config, System.Text.Json.JsonSerializer.Deserialize<SharingPlan>($"\"{plan}\"")!);
            var input = TinyMultimodal.Input(config);
            var before = model.call(input);
            Delinker.Delink(model);
            Assert.Equal(config.NLayer, model.Layers.UniqueBlocks.Count);
            Assert.True(model.call(input).sub(before).abs().max().item<float>() <= 1e-6f, $"{plan}/{positional}: logits changed");
        }
    }
}
