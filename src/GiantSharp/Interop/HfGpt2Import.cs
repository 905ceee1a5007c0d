using GiantSharp.Data;
using GiantSharp.Errors;
using GiantSharp.Model;
using static TorchSharp.torch;

namespace GiantSharp.Interop;

/// <summary>
/// Reads a Hugging Face GPT-2 folder (config.json + model.safetensors, as <see cref="HfGpt2Export"/> writes it) into a
/// GiantSharp model: Conv1D weights (in, out) are transposed back to our Linear's (out, in). Every key GPT-2's config
/// implies must be present with its shape and nothing else may be, except <c>lm_head.weight</c> equal to wte.
/// </summary>
public static partial class HfGpt2Import
{
    /// <summary>The folder's model shape, its tokenizer (null when config.json names none) and its weights as a model in eval mode.</summary>
    /// <param name="dir">The folder.</param>
    /// <exception cref="DataException">A file is missing or malformed, a config field is unsupported, or a tensor is missing,
    /// unexpected or of the wrong shape (named).</exception>
    public static (GptModel Model, TokenizerSpec? Tokenizer) Load(string dir)
    {
        var (config, tokenizer) = HfGpt2Config.Read(Path.Combine(dir, HfGpt2Export.ConfigFile));
        var file = Path.Combine(dir, HfGpt2Export.WeightsFile);
        GptModel model;
        using (var rng = random.get_rng_state())
        {
            model = new GptModel(config);                                  // initial values are overwritten below
            random.set_rng_state(rng);
        }
        try
        {
            using var scope = NewDisposeScope();                           // the file's tensors, not the model's
            Fill(model, SafetensorsFile.Read(file), file);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        model.eval();
        return (model, tokenizer);
    }

    private static void Fill(GptModel model, Dictionary<string, Tensor> read, string file)
    {
        var saved = Normalize(read);
        var own = model.state_dict();
        var targets = new List<(string Key, Tensor Target, bool Transpose)>
        {
            (Gpt2Keys.Wte, own["wte.weight"], false),
            (Gpt2Keys.Wpe, own["wpe.weight"], false),
        };
        for (int i = 0; i < model.Config.NLayer; i++)
        {
            var block = model.Layers.LayerBlock(i).state_dict();
            targets.AddRange(Gpt2Keys.LayerSuffixes.Select(s => (Gpt2Keys.Layer(i, s), block[s], Gpt2Keys.IsConv1DWeight(s))));
        }
        targets.Add((Gpt2Keys.LnFWeight, own["ln_f.weight"], false));
        targets.Add((Gpt2Keys.LnFBias, own["ln_f.bias"], false));

        var expected = targets.Select(t => t.Key).ToHashSet(StringComparer.Ordinal);
        var missing = targets.FirstOrDefault(t => !saved.ContainsKey(t.Key)).Key;
        if (missing is not null) throw new DataException(file, $"no tensor '{missing}' (config.json describes {model.Config.NLayer} layers)");
        var extra = saved.Keys.FirstOrDefault(k => !expected.Contains(k) && k != Gpt2Keys.LmHead);
        if (extra is not null) throw new DataException(file, $"unexpected tensor '{extra}' (not part of GPT-2 for this config.json)");
        using var _ = no_grad();
        foreach (var (key, target, transpose) in targets)
        {
            var value = transpose ? saved[key].t() : saved[key];
            if (!value.shape.SequenceEqual(target.shape))
            {
                var want = transpose ? target.shape.Reverse() : target.shape;
                throw new DataException(file, $"tensor '{key}' is [{string.Join(",", saved[key].shape)}]; config.json implies [{string.Join(",", want)}]");
            }
            target.copy_(value);
        }
        if (saved.TryGetValue(Gpt2Keys.LmHead, out var head) && !(head.shape.SequenceEqual(saved[Gpt2Keys.Wte].shape) && head.eq(saved[Gpt2Keys.Wte]).all().item<bool>()))
            throw new DataException(file, $"tensor '{Gpt2Keys.LmHead}' differs from '{Gpt2Keys.Wte}'; GiantSharp's LM head is tied to wte");
    }

    /// <summary>
    /// The file's tensors under GPT2LMHeadModel's names: a GPT2Model file (the Hub's <c>gpt2</c>: <c>h.0.ln_1.weight</c>,
    /// <c>wte.weight</c>) gains the <c>transformer.</c> prefix, and the causal-mask buffers older transformers saved
    /// (<c>h.N.attn.bias</c>, <c>h.N.attn.masked_bias</c>) are dropped: they are constants, not weights.
    /// </summary>
    private static Dictionary<string, Tensor> Normalize(Dictionary<string, Tensor> saved)
    {
        bool bare = !saved.Keys.Any(k => k.StartsWith(Gpt2Keys.Prefix, StringComparison.Ordinal));
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, value) in saved)
        {
            if (MaskBuffer().IsMatch(key)) continue;
            result[bare && key != Gpt2Keys.LmHead ? Gpt2Keys.Prefix + key : key] = value;
        }
        return result;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^(transformer\.)?h\.[0-9]+\.attn\.(masked_)?bias$")]
    private static partial System.Text.RegularExpressions.Regex MaskBuffer();
}
