using GiantSharp.Model;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace GiantSharp.Inference;

/// <summary>
/// Incremental decoding of a <see cref="GptModel"/> with a key/value cache: <see cref="Prefill"/> runs a prompt (text,
/// or a multimodal input with its bidirectional prefix) through the model and keeps every layer's keys and values;
/// each <see cref="Step"/> then embeds one new token per row at the next position and attends over the cache, so a
/// token costs one position's compute instead of the whole sequence's. Numerically the model's forward pass: the step
/// runs the block's own modules (LayerNorms, projections, FFN or MoE) in the block's order (pre-LN, GPT-2 sec. 2.3),
/// and a new token attends to every earlier position, as the causal part of the model's mask allows. Eval mode, no
/// autograd. Legend: B rows, T cached positions, H heads, hd head size. Source: the KV cache of Pope et al. 2022,
/// "Efficiently Scaling Transformer Inference", sec. 2; prefix-LM decoding as in M6 (Lin et al. 2021, sec. 3).
/// </summary>
public sealed class KvCacheDecoder : IDisposable
{
    private readonly GptModel _model;
    private readonly (Module<Tensor, Tensor> Ln1, Module<Tensor, Tensor> QkvProj, Module<Tensor, Tensor> OutProj, Module<Tensor, Tensor> Ln2, Module<Tensor, Tensor> Ffn)[] _layers;
    private readonly (Tensor K, Tensor V)[] _cache;

    /// <summary>A decoder over <paramref name="model"/> (whose layers must stay as they are while it decodes).</summary>
    public KvCacheDecoder(GptModel model)
    {
        _model = model;
        _layers = Enumerable.Range(0, model.Layers.NumLayers).Select(i =>
        {
            var block = Children(model.Layers.LayerBlock(i));
            var attn = Children(block["attn"]);
            return (block["ln_1"], attn["c_attn"], attn["c_proj"], block["ln_2"], block["mlp"]);
        }).ToArray();
        _cache = new (Tensor, Tensor)[_layers.Length];
    }

    /// <summary>Positions cached so far (the next token's position).</summary>
    public long Length { get; private set; }

    /// <summary>
    /// Runs <paramref name="input"/> (B, T0) or (B, T0, 2 + P), every row the same length, through the model, caching
    /// each layer's keys and values; returns the last position's logits (B, V). Replaces any earlier cache.
    /// </summary>
    public Tensor Prefill(Tensor input)
    {
        ClearCache();
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var x = _model.Embed(input);                                                  // (B, T0, C); sets the prefix of each block
        for (int i = 0; i < _layers.Length; i++)
        {
            var (_, k, v) = Project(i, x, 0);
            _cache[i] = (k.DetachFromDisposeScope(), v.DetachFromDisposeScope());
            x = _model.Layers.LayerBlock(i).call(x);
        }
        Length = input.shape[1];
        return Logits(x[.., ^1..]).MoveToOuterDisposeScope();
    }

    /// <summary>Appends token <paramref name="ids"/> (B) at position <see cref="Length"/> and returns its logits (B, V).</summary>
    /// <exception cref="InvalidOperationException">Nothing was prefilled.</exception>
    /// <exception cref="ArgumentException">The position would pass seq_len.</exception>
    public Tensor Step(Tensor ids)
    {
        if (Length == 0) throw new InvalidOperationException("prefill a prompt first");
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var x = _model.Embed(ids.view(-1, 1), Length);                                // (B, 1, C)
        long b = x.shape[0], c = x.shape[2];
        for (int i = 0; i < _layers.Length; i++)
        {
            var layer = _layers[i];
            var (q, k, v) = Project(i, x, Length);                                     // (B, H, 1, hd) each
            var keys = cat([_cache[i].K, k], dim: 2).DetachFromDisposeScope();         // (B, H, T + 1, hd)
            var values = cat([_cache[i].V, v], dim: 2).DetachFromDisposeScope();
            _cache[i].K.Dispose();
            _cache[i].V.Dispose();
            _cache[i] = (keys, values);
            var y = functional.scaled_dot_product_attention(q, keys, values);          // (B, H, 1, hd): every earlier position
            x = x + layer.OutProj.call(y.transpose(1, 2).contiguous().view(b, 1, c));
            x = x + layer.Ffn.call(layer.Ln2.call(x));
        }
        Length++;
        return Logits(x).MoveToOuterDisposeScope();
    }

    /// <summary>Frees the cache.</summary>
    public void Dispose() => ClearCache();

    private (Tensor Q, Tensor K, Tensor V) Project(int i, Tensor x, long start)
    {
        var cfg = _model.Config;
        long b = x.shape[0], t = x.shape[1];
        var qkv = _layers[i].QkvProj.call(_layers[i].Ln1.call(x)).split(cfg.DModel, dim: 2);   // 3 x (B, T, C)
        Tensor Heads(Tensor z) => z.view(b, t, cfg.NHead, cfg.HeadDim).transpose(1, 2);       // (B, H, T, hd)
        var (q, k) = (Heads(qkv[0]), Heads(qkv[1]));
        if (cfg.Positional == "rope") (q, k) = Rotary.Apply(q, k, start);
        return (q, k, Heads(qkv[2]));
    }

    private Tensor Logits(Tensor x)
    {
        AuxiliaryLosses.Take(_model);                                                  // MoE layers' losses and diagnostics are not wanted here
        AuxiliaryLosses.TakeMetrics(_model);
        return _model.Head(x).squeeze(1).to(ScalarType.Float32);                       // (B, V)
    }

    private void ClearCache()
    {
        for (int i = 0; i < _cache.Length; i++)
        {
            _cache[i].K?.Dispose();
            _cache[i].V?.Dispose();
            _cache[i] = default;
        }
        Length = 0;
    }

    private static Dictionary<string, Module<Tensor, Tensor>> Children(Module module) =>
        module.named_children().ToDictionary(c => c.name, c => (Module<Tensor, Tensor>)c.module);
}
