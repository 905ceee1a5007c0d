using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace GiantSharp.Model;

/// <summary>
/// GPT-style decoder of the M6 family: token embedding (+ learned positions unless rope; + a projection of
/// continuous image patches when patch_dim > 0), dropout, a <see cref="LayerStack"/> of pre-LN blocks, a final
/// LayerNorm, and an LM head tied to the token embedding. Text input is causal; multimodal input
/// (<see cref="ModelInput"/>) attends bidirectionally over its conditioning prefix (<see cref="PrefixLmMask"/>).
/// Legend: B batch, T time (tokens), C d_model, H heads, V vocab_size, E experts, P patch_dim.
/// The model knows nothing of devices, offloading or training phases: sharing, delinking and offloading
/// act on it from outside (GiantSharp.Sharing, GiantSharp.Offload). Source: GPT-2; M6-10T sec. 3.
/// </summary>
public sealed class GptModel : Module<Tensor, Tensor>
{
    private readonly Embedding wte;
    private readonly Embedding? wpe;
    private readonly Linear? patch_embed;
    private readonly Dropout drop;
    private readonly LayerStack h;
    private readonly LayerNorm ln_f;

    /// <summary>
    /// Builds a model whose stack applies <paramref name="layerToBlock"/>[i] at layer i, with one fresh
    /// block per distinct index (default: one block per layer, the unshared Real Giant). Blocks are initialised in
    /// block order, then the embeddings, from the global generator.
    /// </summary>
    /// <param name="config">The model shape.</param>
    /// <param name="layerToBlock">For each layer, its block.</param>
    /// <param name="blockBuilt">
    /// Called with each block's index right after the block is initialised, before the next one is built (e.g. to move
    /// its tensors elsewhere so a model larger than memory can be built); it must not draw from the global generator.
    /// </param>
    /// <exception cref="Errors.ConfigException">The config is invalid or has vocab_size 0.</exception>
    public GptModel(ModelConfig config, IReadOnlyList<int>? layerToBlock = null, Action<int, TransformerBlock>? blockBuilt = null) : base(nameof(GptModel))
    {
        config.Validate();
        if (config.VocabSize <= 0) throw new Errors.ConfigException("model.vocab_size", "must be set (> 0) before building a model");
        Config = config;
        var map = layerToBlock ?? Enumerable.Range(0, config.NLayer).ToArray();
        if (map.Count != config.NLayer) throw new ArgumentException($"layer map has {map.Count} entries, n_layer is {config.NLayer}", nameof(layerToBlock));
        var firstLayer = LayerStack.FirstLayers(map);
        var blocks = new TransformerBlock[firstLayer.Length];
        for (int b = 0; b < blocks.Length; b++)
        {
            blocks[b] = new TransformerBlock(config, IsMoeLayer(config, firstLayer[b]));
            blockBuilt?.Invoke(b, blocks[b]);
        }

        wte = Embedding(config.VocabSize, config.DModel);
        wpe = config.Positional == "learned" ? Embedding(config.SeqLen, config.DModel) : null;
        patch_embed = config.PatchDim > 0 ? Linear(config.PatchDim, config.DModel, hasBias: false) : null;   // the patch token's embedding is its bias
        drop = Dropout(config.Dropout);
        h = new LayerStack(blocks, map);
        ln_f = LayerNorm(config.DModel, eps: config.LayerNormEps, bias: config.Bias);
        RegisterComponents();
        Init.Embedding(wte, config.InitStd);
        if (wpe is not null) Init.Embedding(wpe, config.InitStd);
        if (patch_embed is not null) Init.Linear(patch_embed, config.InitStd);
    }

    /// <summary>State-dict key of the layer stack: block b's parameters are named <c>h.{b}.*</c>.</summary>
    public const string LayersKey = "h";

    /// <summary>The model shape.</summary>
    public ModelConfig Config { get; }

    /// <summary>The layer stack (the object sharing, delinking and offloading act on).</summary>
    public LayerStack Layers => h;

    /// <summary>Whether layer <paramref name="layer"/> of a model of this shape has an MoE FFN.</summary>
    public static bool IsMoeLayer(ModelConfig config, int layer) => config.Moe?.IsMoeLayer(layer) ?? false;

    /// <summary>
    /// Token ids (B, T), or a multimodal input (B, T, 2 + P) (<see cref="ModelInput"/>), int64, T &lt;= seq_len ->
    /// residual stream (B, T, C). Also sets the attention of every block for this input: causal, or prefix LM when a
    /// row has a conditioning prefix (<see cref="TransformerBlock.PrefixLengths"/>), for the layers that follow.
    /// </summary>
    /// <param name="idx">The input.</param>
    /// <param name="start">Position of its first token (learned positions start..start+T-1); nonzero only when decoding with a cache.</param>
    /// <exception cref="ArgumentException">start + T exceeds seq_len, the channels do not match patch_dim, or a prefix is not a leading run.</exception>
    public Tensor Embed(Tensor idx, long start = 0)
    {
        long t = idx.shape[1];
        if (start < 0 || start + t > Config.SeqLen) throw new ArgumentException($"positions {start}..{start + t - 1} go beyond seq_len = {Config.SeqLen}", nameof(idx));
        if (idx.dim() == 3 && idx.shape[2] != ModelInput.PatchChannel + Config.PatchDim)
            throw new ArgumentException($"a multimodal input has 2 + patch_dim = {ModelInput.PatchChannel + Config.PatchDim} channels, got {idx.shape[2]}", nameof(idx));
        var ids = idx.dim() == 3 ? idx.select(2, ModelInput.TokenChannel) : idx;                   // (B, T)
        var prefix = idx.dim() == 3 ? ModelInput.PrefixLengths(idx) : null;
        foreach (var block in h.UniqueBlocks) block.PrefixLengths = prefix;
        var x = wte.call(ids);                                              // (B, T, C)
        if (patch_embed is not null && idx.dim() == 3)
            x = x + patch_embed.call(idx[.., .., ModelInput.PatchChannel..].to(x.dtype) / ModelInput.PatchScale); // + (B, T, P) @ (P, C)
        if (wpe is not null) x = x + wpe.call(arange(start, start + t, dtype: ScalarType.Int64, device: idx.device)); // + (T, C)
        return drop.call(x);
    }

    /// <summary>Residual stream (B, T, C) -> logits (B, T, V): final LayerNorm, then the tied LM head.</summary>
    public Tensor Head(Tensor x) => functional.linear(ln_f.call(x), wte.weight!);

    /// <summary>Token ids (B, T) or a multimodal input (B, T, 2 + P), int64 -> next-token logits (B, T, V).</summary>
    public override Tensor forward(Tensor idx) => Head(h.call(Embed(idx)));
}
