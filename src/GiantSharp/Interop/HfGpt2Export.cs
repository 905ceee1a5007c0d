using GiantSharp.Data;
using GiantSharp.Errors;
using GiantSharp.Model;
using static TorchSharp.torch;

namespace GiantSharp.Interop;

/// <summary>
/// A dense GiantSharp model as a Hugging Face GPT-2 folder: <c>config.json</c> (<see cref="HfGpt2Config"/>) and
/// <c>model.safetensors</c> with GPT-2's key names (<see cref="Gpt2Keys"/>). Our block is GPT-2's (pre-LN, biases, fused
/// q|k|v projection, attention scaled by 1/sqrt(head_dim), learned positions, LM head tied to wte); the one difference in
/// layout is that GPT-2's Conv1D stores a projection as (in, out), the transpose of our Linear's (out, in) weight.
/// Source: transformers' modeling_gpt2.py (GPT2Block, GPT2Attention, Conv1D).
/// </summary>
public static class HfGpt2Export
{
    /// <summary>Name of the config file in the folder.</summary>
    public const string ConfigFile = "config.json";
    /// <summary>Name of the weights file in the folder.</summary>
    public const string WeightsFile = "model.safetensors";

    /// <summary>Refuses a model GPT-2 cannot express, naming the config field.</summary>
    /// <param name="model">The model shape.</param>
    /// <param name="layerToBlock">The stack's layer-to-block map (sharing).</param>
    /// <exception cref="ConfigException">MoE, rotary positions, patch inputs, no biases, or layers that share a block.</exception>
    public static void CheckExportable(ModelConfig model, IReadOnlyList<int> layerToBlock)
    {
        if (model.Moe is not null) throw new ConfigException("model.moe", "GPT-2 has a dense FFN in every layer; a mixture-of-experts model cannot be exported as GPT-2");
        if (model.Positional != "learned") throw new ConfigException("model.positional", $"GPT-2 has learned positions; '{model.Positional}' cannot be exported as GPT-2");
        if (model.PatchDim > 0) throw new ConfigException("model.patch_dim", $"is {model.PatchDim}; GPT-2 reads token ids only, a multimodal model cannot be exported as GPT-2");
        if (!model.Bias) throw new ConfigException("model.bias", "is false; GPT-2 always has biases (export refused rather than invent zero biases that would re-import as bias: true)");
        if (layerToBlock.Distinct().Count() != layerToBlock.Count)
            throw new ConfigException("layer_to_block", $"layers share blocks [{string.Join(",", layerToBlock)}]; GPT-2 has one block per layer: delink first: giant delink IN OUT");
    }

    /// <summary>
    /// GPT-2's tensors of <paramref name="model"/>, in GPT-2's order (new tensors; projections transposed to Conv1D's (in, out)).
    /// wte (V, C), wpe (T, C), per layer ln_1, attn.c_attn (C, 3C) [q|k|v along out], attn.c_proj (C, C), ln_2,
    /// mlp.c_fc (C, d_ff), mlp.c_proj (d_ff, C); ln_f. The LM head is wte and is left out.
    /// </summary>
    /// <exception cref="ConfigException">The model cannot be exported (<see cref="CheckExportable"/>).</exception>
    public static List<(string Name, Tensor Value)> Tensors(GptModel model)
    {
        CheckExportable(model.Config, model.Layers.LayerToBlock);
        var own = model.state_dict();
        var result = new List<(string, Tensor)>
        {
            (Gpt2Keys.Wte, own["wte.weight"].detach().clone()),
            (Gpt2Keys.Wpe, own["wpe.weight"].detach().clone()),
        };
        for (int i = 0; i < model.Config.NLayer; i++)
        {
            var block = model.Layers.LayerBlock(i).state_dict();
            foreach (var suffix in Gpt2Keys.LayerSuffixes)
            {
                var t = block[suffix].detach();
                result.Add((Gpt2Keys.Layer(i, suffix), Gpt2Keys.IsConv1DWeight(suffix) ? t.t().contiguous() : t.clone()));
            }
        }
        result.Add((Gpt2Keys.LnFWeight, own["ln_f.weight"].detach().clone()));
        result.Add((Gpt2Keys.LnFBias, own["ln_f.bias"].detach().clone()));
        return result;
    }

    /// <summary>
    /// Writes <paramref name="model"/> into <paramref name="dir"/> as config.json and model.safetensors, each through a
    /// temporary file renamed into place.
    /// </summary>
    /// <param name="model">A dense, unshared, learned-position model.</param>
    /// <param name="tokenizer">Its tokenizer, written into config.json (bos/eos ids and <see cref="HfGpt2Config.TokenizerField"/>); null leaves them out.</param>
    /// <param name="dir">The output folder (created).</param>
    /// <exception cref="ConfigException">The model cannot be exported.</exception>
    /// <exception cref="IOException">A file cannot be written.</exception>
    public static void Write(GptModel model, TokenizerSpec? tokenizer, string dir)
    {
        using var scope = NewDisposeScope();
        var tensors = Tensors(model);
        Directory.CreateDirectory(dir);
        SafetensorsFile.Write(Path.Combine(dir, WeightsFile), tensors);
        var config = Path.Combine(dir, ConfigFile);
        var temp = $"{config}.tmp-{Guid.NewGuid():N}";
        File.WriteAllText(temp, HfGpt2Config.ToJson(model.Config, tokenizer).ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
        File.Move(temp, config, overwrite: true);
    }
}
