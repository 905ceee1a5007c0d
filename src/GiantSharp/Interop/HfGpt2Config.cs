using System.Text.Json;
using System.Text.Json.Nodes;
using GiantSharp.Config;
using GiantSharp.Data;
using GiantSharp.Errors;
using GiantSharp.Model;

namespace GiantSharp.Interop;

/// <summary>
/// The <c>config.json</c> of a Hugging Face GPT-2 folder (transformers' <c>GPT2Config</c> fields) to and from our
/// <see cref="ModelConfig"/>. <c>model.activation</c> maps to <c>activation_function</c>: exact GELU is transformers'
/// <c>gelu</c>, GPT-2's tanh approximation is <c>gelu_new</c> (also read: <c>gelu_pytorch_tanh</c>, <c>gelu_fast</c>, the
/// same function). The tokenizer the model was trained with
/// rides along as the extra field <c>giantsharp_tokenizer</c> (transformers keeps unknown fields as attributes).
/// </summary>
public static class HfGpt2Config
{
    /// <summary>The activation_function value of <paramref name="activation"/>.</summary>
    public static string ActivationName(Activation activation) => activation == Model.Activation.GeluTanh ? "gelu_new" : "gelu";
    /// <summary>Extra config.json field holding our tokenizer spec.</summary>
    public const string TokenizerField = "giantsharp_tokenizer";

    /// <summary>The config.json object for a dense, learned-position, biased model (check with <see cref="HfGpt2Export.CheckExportable"/> first).</summary>
    public static JsonObject ToJson(ModelConfig model, TokenizerSpec? tokenizer)
    {
        var json = new JsonObject
        {
            ["model_type"] = "gpt2",
            ["architectures"] = new JsonArray("GPT2LMHeadModel"),
            ["vocab_size"] = model.VocabSize,
            ["n_positions"] = model.SeqLen,
            ["n_ctx"] = model.SeqLen,
            ["n_embd"] = model.DModel,
            ["n_layer"] = model.NLayer,
            ["n_head"] = model.NHead,
            ["n_inner"] = model.DFf,
            ["activation_function"] = ActivationName(model.Activation),
            ["layer_norm_epsilon"] = model.LayerNormEps,
            ["resid_pdrop"] = model.Dropout,
            ["embd_pdrop"] = model.Dropout,
            ["attn_pdrop"] = model.Dropout,
            ["initializer_range"] = model.InitStd,
            ["scale_attn_weights"] = true,
            ["scale_attn_by_inverse_layer_idx"] = false,
            ["tie_word_embeddings"] = true,
            ["torch_dtype"] = "float32",
        };
        if (tokenizer is not null)
        {
            json["bos_token_id"] = tokenizer.EndOfTextId;   // GPT-2 starts and ends documents with its one end-of-text token
            json["eos_token_id"] = tokenizer.EndOfTextId;
            json[TokenizerField] = JsonSerializer.SerializeToNode(tokenizer, ConfigLoader.JsonOptions);
        }
        return json;
    }

    /// <summary>Reads <paramref name="file"/> (a GPT-2 config.json) into our model shape and the tokenizer it names, if any.</summary>
    /// <exception cref="DataException">A field is missing, of the wrong type, or describes a model ours cannot be (the field is named).</exception>
    public static (ModelConfig Model, TokenizerSpec? Tokenizer) Read(string file)
    {
        if (!File.Exists(file)) throw new DataException(file, "file not found (a Hugging Face GPT-2 folder has config.json)");
        JsonObject json;
        try { json = JsonNode.Parse(File.ReadAllText(file)) as JsonObject ?? throw new DataException(file, "is not a JSON object"); }
        catch (JsonException e) { throw new DataException(file, $"is not JSON: {e.Message.Split('\n')[0]}"); }
        void Fail(string key, string problem) => throw new DataException(file, $"'{key}' {problem}");
        T Get<T>(string key, T fallback, bool required = false)
        {
            if (json[key] is not { } node || node.GetValueKind() == JsonValueKind.Null)
            {
                if (required) Fail(key, "is missing");
                return fallback;
            }
            try { return node.GetValue<T>(); }
            catch (Exception e) when (e is InvalidOperationException or FormatException) { Fail(key, $"must be a {typeof(T).Name.ToLowerInvariant()}, got {node.ToJsonString()}"); return fallback; }
        }

        if (Get("model_type", "") != "gpt2") Fail("model_type", $"must be \"gpt2\", got {json["model_type"]?.ToJsonString() ?? "nothing"}");
        var activationName = Get("activation_function", "gelu_new");           // transformers' default
        var activation = activationName switch
        {
            "gelu" => Model.Activation.Gelu,
            "gelu_new" or "gelu_pytorch_tanh" or "gelu_fast" => Model.Activation.GeluTanh,
            _ => (Activation?)null,
        };
        if (activation is null) Fail("activation_function", $"is '{activationName}'; GiantSharp's FFN is GELU: 'gelu' (exact) or 'gelu_new' (tanh)");
        if (!Get("tie_word_embeddings", true)) Fail("tie_word_embeddings", "is false; GiantSharp's LM head is tied to wte");
        if (!Get("scale_attn_weights", true)) Fail("scale_attn_weights", "is false; GiantSharp scales attention by 1/sqrt(head_dim)");
        if (Get("scale_attn_by_inverse_layer_idx", false)) Fail("scale_attn_by_inverse_layer_idx", "is true; GiantSharp does not scale attention by layer");
        if (Get("add_cross_attention", false)) Fail("add_cross_attention", "is true; GiantSharp is a decoder without cross-attention");
        var dropout = Get("resid_pdrop", 0.1);
        foreach (var key in new[] { "embd_pdrop", "attn_pdrop" })
            if (Get(key, 0.1) != dropout) Fail(key, $"is {Get(key, 0.1)} but resid_pdrop is {dropout}; GiantSharp has one dropout");
        var nEmbd = Get("n_embd", 0, required: true);
        var model = new ModelConfig
        {
            VocabSize = Get("vocab_size", 0, required: true),
            SeqLen = Get("n_positions", 0, required: true),
            DModel = nEmbd,
            NLayer = Get("n_layer", 0, required: true),
            NHead = Get("n_head", 0, required: true),
            DFf = Get("n_inner", 4 * nEmbd),              // null: 4 * n_embd, as in transformers
            LayerNormEps = Get("layer_norm_epsilon", 1e-5),
            Dropout = dropout,
            InitStd = Get("initializer_range", 0.02),
            Positional = "learned",
            Bias = true,
            Activation = activation!.Value,
        };
        try { model.Validate(); }
        catch (ConfigException e) { throw new DataException(file, $"describes an invalid model: {e.Message}"); }
        if (model.VocabSize <= 0) Fail("vocab_size", "must be > 0");
        TokenizerSpec? tokenizer = null;
        if (json[TokenizerField] is JsonObject spec)
        {
            try { tokenizer = spec.Deserialize<TokenizerSpec>(ConfigLoader.JsonOptions); }
            catch (JsonException e) { Fail(TokenizerField, $"is not a tokenizer spec: {e.Message.Split('\n')[0]}"); }
        }
        return (model, tokenizer);
    }
}
