using GiantSharp.Data;
using GiantSharp.Errors;
using GiantSharp.Interop;
using GiantSharp.Model;
using static TorchSharp.torch;

namespace GiantSharp.Tests.Interop;

/// <summary>
/// Hugging Face GPT-2 interchange: export then import is bit-exact, the file holds exactly GPT-2's keys and shapes, and
/// GPT-2's forward written here from the exported tensors alone (not our modules) gives our logits.
/// </summary>
[Collection(GlobalRngCollection.Name)]
public class HfGpt2Tests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    // A tiny model whose every parameter is perturbed, so biases, LayerNorm gains and each transpose matter.
    private static GptModel Model(ModelConfig? config = null)
    {
        var model = TinyModels.Build(config ?? TinyModels.Config(nLayer: 3) with { DFf = 48 });
        var g = new Generator().manual_seed(11);
        using var _ = no_grad();
        foreach (var p in model.parameters()) p.add_(randn(p.shape, generator: g) * 0.1f);
        return model;
    }

    private string Export(GptModel model)
    {
        var dir = Path.Combine(_tmp.Path, "hf");
        HfGpt2Export.Write(model, TokenizerFactory.ToSpec(new ByteTokenizer()), dir);
        return dir;
    }

    [Fact]
    public void Export_then_import_is_bit_exact_and_keeps_the_logits()
    {
        using var model = Model();
        var (back, tokenizer) = HfGpt2Import.Load(Export(model));
        using var _ = back;
        Assert.Equal(model.Config, back.Config);
        Assert.Equal(new ByteTokenizer().Identity, tokenizer!.Identity);
        var theirs = back.state_dict();
        Assert.Equal(model.state_dict().Keys.Order(), theirs.Keys.Order());
        foreach (var (name, t) in model.state_dict())
            Assert.True(t.shape.SequenceEqual(theirs[name].shape) && t.eq(theirs[name]).all().item<bool>(), name);
        using var scope = NewDisposeScope();
        var idx = TinyModels.Tokens(model.Config);
        using (no_grad()) Assert.True(model.call(idx).eq(back.call(idx)).all().item<bool>());
    }

    [Fact]
    public void Safetensors_header_lists_exactly_gpt2_keys_and_shapes()
    {
        using var model = Model();
        int c = 32, v = 50, t = 16, f = 48;   // TinyModels: d_model 32, vocab 50, seq_len 16; d_ff 48 here
        var expected = new Dictionary<string, long[]> { ["transformer.wte.weight"] = [v, c], ["transformer.wpe.weight"] = [t, c] };
        for (int i = 0; i < 3; i++)
        {
            var h = $"transformer.h.{i}.";
            expected[h + "ln_1.weight"] = [c]; expected[h + "ln_1.bias"] = [c];
            expected[h + "attn.c_attn.weight"] = [c, 3 * c]; expected[h + "attn.c_attn.bias"] = [3 * c];
            expected[h + "attn.c_proj.weight"] = [c, c]; expected[h + "attn.c_proj.bias"] = [c];
            expected[h + "ln_2.weight"] = [c]; expected[h + "ln_2.bias"] = [c];
            expected[h + "mlp.c_fc.weight"] = [c, f]; expected[h + "mlp.c_fc.bias"] = [f];
            expected[h + "mlp.c_proj.weight"] = [f, c]; expected[h + "mlp.c_proj.bias"] = [c];
        }
        expected["transformer.ln_f.weight"] = [c]; expected["transformer.ln_f.bias"] = [c];

        var file = Path.Combine(Export(model), "model.safetensors");
        var header = SafetensorsFile.ReadHeader(file);
        Assert.Equal(expected.Keys.Order(), header.Select(e => e.Name).Order());
        long next = 0;
        foreach (var (name, dtype, shape, begin, end) in header)
        {
            Assert.Equal("F32", dtype);
            Assert.Equal(expected[name], shape);
            Assert.Equal(next, begin);                                     // packed, in header order
            Assert.Equal(shape.Aggregate(4L, (a, b) => a * b), end - begin);
            next = end;
        }
        var bytes = File.ReadAllBytes(file);
        var n = (long)BitConverter.ToUInt64(bytes, 0);
        Assert.Equal(8 + n + next, bytes.Length);
        Assert.Contains("\"__metadata__\":{\"format\":\"pt\"}", System.Text.Encoding.UTF8.GetString(bytes, 8, (int)n));
    }

    [Theory]
    [InlineData(Activation.Gelu, "gelu")]                                  // transformers: exact erf GELU
    [InlineData(Activation.GeluTanh, "gelu_new")]                          // GPT-2's own: the tanh approximation
    public void Gpt2_forward_from_the_exported_tensors_gives_our_logits(Activation activation, string name)
    {
        using var model = Model(TinyModels.Config(nLayer: 3) with { DFf = 48, Activation = activation });
        var dir = Export(model);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!;
        Assert.Equal(name, json["activation_function"]!.GetValue<string>());
        int nHead = json["n_head"]!.GetValue<int>(), nLayer = json["n_layer"]!.GetValue<int>();
        var eps = json["layer_norm_epsilon"]!.GetValue<double>();
        using var scope = NewDisposeScope();
        var w = SafetensorsFile.Read(Path.Combine(dir, "model.safetensors"));
        var idx = TinyModels.Tokens(model.Config);                         // (B, T)
        long b = idx.shape[0], t = idx.shape[1];

        Tensor Ln(Tensor x, string p)
        {
            var mean = x.mean([-1], keepdim: true);
            var variance = (x - mean).pow(2).mean([-1], keepdim: true);
            return (x - mean) / (variance + eps).sqrt() * w[p + ".weight"] + w[p + ".bias"];
        }
        Tensor Conv1D(Tensor x, string p) => x.matmul(w[p + ".weight"]) + w[p + ".bias"];   // weight (in, out)
        Tensor Gelu(Tensor x) => name == "gelu"
            ? 0.5 * x * (1 + (x / Math.Sqrt(2)).erf())
            : 0.5 * x * (1 + (Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x.pow(3))).tanh());

        var x = w["transformer.wte.weight"][idx] + w["transformer.wpe.weight"][arange(t)];   // (B, T, C)
        long c = x.shape[2], hd = c / nHead;
        var future = ones(t, t).triu(1).to(ScalarType.Bool);               // (T, T): j > i is masked
        for (int i = 0; i < nLayer; i++)
        {
            var h = $"transformer.h.{i}.";
            var qkv = Conv1D(Ln(x, h + "ln_1"), h + "attn.c_attn");        // (B, T, 3C)
            Tensor Heads(int k) => qkv.narrow(2, k * c, c).reshape(b, t, nHead, hd).permute(0, 2, 1, 3); // (B, H, T, hd)
            var scores = Heads(0).matmul(Heads(1).transpose(-2, -1)) / Math.Sqrt(hd);   // (B, H, T, T)
            var att = scores.masked_fill(future, double.NegativeInfinity).softmax(-1);
            var y = att.matmul(Heads(2)).permute(0, 2, 1, 3).reshape(b, t, c);          // (B, T, C)
            x = x + Conv1D(y, h + "attn.c_proj");
            x = x + Conv1D(Gelu(Conv1D(Ln(x, h + "ln_2"), h + "mlp.c_fc")), h + "mlp.c_proj");
        }
        var logits = Ln(x, "transformer.ln_f").matmul(w["transformer.wte.weight"].t());   // (B, T, V)

        Tensor ours;
        using (no_grad()) ours = model.call(idx);
        Assert.Equal(ours.shape, logits.shape);
        var diff = (ours - logits).abs().max().item<float>();
        Assert.True(diff < 1e-5, $"max |difference| {diff}");
        Assert.True(ours.abs().max().item<float>() > 0.1);                  // not trivially small
    }

    [Fact]
    public void Lm_head_equal_to_wte_is_accepted_and_a_different_one_refused()
    {
        using var model = Model();
        var dir = Export(model);
        var file = Path.Combine(dir, "model.safetensors");
        using var scope = NewDisposeScope();
        var tensors = SafetensorsFile.Read(file).Select(kv => (kv.Key, kv.Value)).ToList();
        var wte = tensors.Single(e => e.Key == "transformer.wte.weight").Value;
        SafetensorsFile.Write(file, [.. tensors, ("lm_head.weight", wte)]);
        var (back, _) = HfGpt2Import.Load(dir);
        back.Dispose();
        SafetensorsFile.Write(file, [.. tensors, ("lm_head.weight", wte + 1)]);
        Assert.Contains("'lm_head.weight'", Assert.Throws<DataException>(() => HfGpt2Import.Load(dir)).Message);
    }

    [Theory]
    [InlineData("drop", "no tensor 'transformer.h.1.mlp.c_fc.bias'")]
    [InlineData("extra", "unexpected tensor 'transformer.h.0.mlp.c_gate.weight'")]
    [InlineData("shape", "tensor 'transformer.h.2.attn.c_attn.weight' is [96,32]; config.json implies [32,96]")]
    public void Missing_unknown_or_misshapen_tensors_are_refused_by_name(string damage, string message)
    {
        using var model = Model();
        var dir = Export(model);
        var file = Path.Combine(dir, "model.safetensors");
        using var scope = NewDisposeScope();
        var tensors = SafetensorsFile.Read(file).Select(kv => (kv.Key, kv.Value)).ToList();
        var edited = damage switch
        {
            "drop" => tensors.Where(e => e.Key != "transformer.h.1.mlp.c_fc.bias").ToList(),
            "extra" => [.. tensors, ("transformer.h.0.mlp.c_gate.weight", ones(32, 48))],
            _ => tensors.Select(e => e.Key == "transformer.h.2.attn.c_attn.weight" ? (e.Key, e.Value.t().contiguous()) : e).ToList(),
        };
        SafetensorsFile.Write(file, edited);
        Assert.Contains(message, Assert.Throws<DataException>(() => HfGpt2Import.Load(dir)).Message);
    }

    [Fact]
    public void Gelu_new_imports_as_the_tanh_approximation_and_another_activation_is_refused_by_name()
    {
        using var model = Model();
        var dir = Export(model);
        var config = Path.Combine(dir, "config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"gelu\"", "\"gelu_new\""));
        var (tanh, _) = HfGpt2Import.Load(dir);
        using (tanh) Assert.Equal(Activation.GeluTanh, tanh.Config.Activation);
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"gelu_new\"", "\"relu\""));
        var e = Assert.Throws<DataException>(() => HfGpt2Import.Load(dir));
        Assert.Contains("'activation_function' is 'relu'", e.Message);
    }

    [Fact]
    public void A_bare_GPT2Model_file_with_causal_mask_buffers_imports_to_the_same_weights()
    {
        // The Hub's gpt2 checkpoint names its tensors as GPT2Model does (h.0.ln_1.weight, wte.weight: no 'transformer.')
        // and older transformers saved each layer's causal mask (h.N.attn.bias, h.N.attn.masked_bias).
        using var model = Model();
        var dir = Export(model);
        var file = Path.Combine(dir, "model.safetensors");
        using var scope = NewDisposeScope();
        var tensors = SafetensorsFile.Read(file).Select(kv => (kv.Key["transformer.".Length..], kv.Value)).ToList();
        for (int i = 0; i < model.Config.NLayer; i++)
        {
            tensors.Add(($"h.{i}.attn.bias", ones(1, 1, 16, 16).tril()));
            tensors.Add(($"h.{i}.attn.masked_bias", tensor(-1e4f)));
        }
        SafetensorsFile.Write(file, tensors);
        var (back, _) = HfGpt2Import.Load(dir);
        using (back)
        {
            var ours = model.state_dict();
            foreach (var (name, value) in back.state_dict())
                Assert.True(value.eq(ours[name]).all().item<bool>(), name);
        }
    }
}
