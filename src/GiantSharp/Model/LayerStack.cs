using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace GiantSharp.Model;

/// <summary>
/// The n_layer-deep stack of a decoder, as a map from layer to block: layer i applies
/// <c>UniqueBlocks[LayerToBlock[i]]</c>. Sharing is a property of this map, not of the blocks:
/// one unique block for all layers is the Pseudo Giant, n_layer of them the Real Giant
/// (M6-10T, Lin et al. 2021, sec. 3.1; ALBERT, Lan et al. 2020, sec. 3.1).
/// Only unique blocks are registered (state-dict keys <c>0</c> .. <c>k-1</c>), so shared
/// parameters are stored and counted once. Shapes: (B, T, C) -> (B, T, C).
/// </summary>
public sealed class LayerStack : Module<Tensor, Tensor>
{
    private readonly List<TransformerBlock> _blocks = new();
    private int[] _layerToBlock = [];

    /// <summary>Builds a stack from its unique blocks and the layer-to-block map.</summary>
    /// <exception cref="ArgumentException">The map is empty, points outside the blocks, or leaves a block unused.</exception>
    public LayerStack(IReadOnlyList<TransformerBlock> uniqueBlocks, IReadOnlyList<int> layerToBlock) : base(nameof(LayerStack))
    {
        Rewire(uniqueBlocks, layerToBlock);
    }

    /// <summary>Number of layers applied in sequence (n_layer).</summary>
    public int NumLayers => _layerToBlock.Length;

    /// <summary>The distinct blocks, in registration order.</summary>
    public IReadOnlyList<TransformerBlock> UniqueBlocks => _blocks;

    /// <summary>For each layer, the index into <see cref="UniqueBlocks"/> of the block it applies.</summary>
    public IReadOnlyList<int> LayerToBlock => _layerToBlock;

    /// <summary>The block applied at layer <paramref name="layer"/> (0-based); the same object for shared layers.</summary>
    public TransformerBlock LayerBlock(int layer) => _blocks[_layerToBlock[layer]];

    /// <summary>
    /// Replaces the blocks and the map (the mechanism under sharing and delinking; policies live in
    /// GiantSharp.Sharing). Blocks no longer used are unregistered but not disposed: the caller owns them.
    /// </summary>
    /// <exception cref="ArgumentException">The map is empty, points outside the blocks, or leaves a block unused.</exception>
    public void Rewire(IReadOnlyList<TransformerBlock> uniqueBlocks, IReadOnlyList<int> layerToBlock)
    {
        if (layerToBlock.Count == 0) throw new ArgumentException("a layer stack needs at least one layer", nameof(layerToBlock));
        var used = new bool[uniqueBlocks.Count];
        foreach (var b in layerToBlock)
        {
            if (b < 0 || b >= uniqueBlocks.Count) throw new ArgumentException($"layer maps to block {b}, outside 0..{uniqueBlocks.Count - 1}", nameof(layerToBlock));
            used[b] = true;
        }
        var unused = Array.IndexOf(used, false);
        if (unused >= 0) throw new ArgumentException($"block {unused} is used by no layer", nameof(uniqueBlocks));
        if (uniqueBlocks.Distinct().Count() != uniqueBlocks.Count) throw new ArgumentException("a block is listed twice", nameof(uniqueBlocks));

        for (int i = 0; i < _blocks.Count; i++) register_module($"{i}", null!);
        _blocks.Clear();
        _blocks.AddRange(uniqueBlocks);
        for (int i = 0; i < _blocks.Count; i++) register_module($"{i}", _blocks[i]);
        _layerToBlock = layerToBlock.ToArray();
    }

    /// <summary>For each block of a layer-to-block map (blocks 0 .. max), the first layer that applies it, in one pass.</summary>
    public static int[] FirstLayers(IReadOnlyList<int> layerToBlock)
    {
        var first = new int[layerToBlock.Count == 0 ? 0 : layerToBlock.Max() + 1];
        Array.Fill(first, -1);
        for (int i = layerToBlock.Count - 1; i >= 0; i--) first[layerToBlock[i]] = i;
        return first;
    }

    /// <summary>x (B, T, C) -> (B, T, C) through all n_layer layers.</summary>
    public override Tensor forward(Tensor x)
    {
        foreach (var b in _layerToBlock)
            x = _blocks[b].call(x);
        return x;
    }
}
