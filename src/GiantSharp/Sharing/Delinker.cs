using GiantSharp.Model;
using GiantSharp.Training.Optim;
using static TorchSharp.torch;

namespace GiantSharp.Sharing;

/// <summary>
/// Delinking (M6-10T, Lin et al. 2021, sec. 3.1): turns a model whose layers share blocks into the
/// unshared model of the same structure, layer i getting its own copy of the block it used, and carries
/// the AdamW state along. Function-preserving: the logits are unchanged. Acts on a built model from outside.
/// </summary>
public static class Delinker
{
    /// <summary>State-dict prefix of a block registered at <paramref name="index"/> in the layer stack.</summary>
    public static string BlockPrefix(int index) => $"{GptModel.LayersKey}.{index}.";

    /// <summary>
    /// Delinks <paramref name="model"/> in place. The first layer using a block keeps that object; later
    /// layers get clones. When <paramref name="optimizer"/> is given, its state of block parameters is
    /// renamed and copied per <paramref name="mode"/>; state of other parameters (embeddings, final norm) is kept.
    /// No-op for a model that is already unshared.
    /// </summary>
    /// <returns>How many layers shared each old block (index: old block).</returns>
    public static int[] Delink(GptModel model, AdamW? optimizer = null, OptimizerStateDelink mode = OptimizerStateDelink.Scale)
    {
        var stack = model.Layers;
        var oldMap = stack.LayerToBlock.ToArray();
        var oldBlocks = stack.UniqueBlocks.ToArray();
        var uses = new int[oldBlocks.Length];
        foreach (var b in oldMap) uses[b]++;
        if (oldBlocks.Length == oldMap.Length) return uses;

        var taken = new bool[oldBlocks.Length];
        var newBlocks = new TransformerBlock[oldMap.Length];
        for (int layer = 0; layer < oldMap.Length; layer++)
        {
            var b = oldMap[layer];
            newBlocks[layer] = taken[b] ? oldBlocks[b].Clone() : oldBlocks[b];
            taken[b] = true;
        }
        if (optimizer is not null)
            optimizer.ReplaceState(DelinkState(optimizer.State, oldMap, uses, mode));
        stack.Rewire(newBlocks, Enumerable.Range(0, oldMap.Length).ToArray());
        return uses;
    }

    /// <summary>
    /// The optimizer state of the delinked model: for layer i and block parameter p, the state of
    /// <c>h.{map[i]}.p</c> under the new name <c>h.{i}.p</c>, copied, scaled (m/n, v/n^2 for a block
    /// shared by n layers) or reset. Entries outside the stack are passed through as they are.
    /// </summary>
    public static Dictionary<string, AdamWState> DelinkState(
        IReadOnlyDictionary<string, AdamWState> state, IReadOnlyList<int> layerToBlock, IReadOnlyList<int> uses, OptimizerStateDelink mode)
    {
        var result = new Dictionary<string, AdamWState>(StringComparer.Ordinal);
        var stackPrefix = $"{GptModel.LayersKey}.";
        foreach (var (name, st) in state)
            if (!name.StartsWith(stackPrefix, StringComparison.Ordinal)) result[name] = st;

        var reused = new HashSet<string>(StringComparer.Ordinal);
        using var _ = no_grad();
        for (int layer = 0; layer < layerToBlock.Count; layer++)
        {
            var b = layerToBlock[layer];
            var oldPrefix = BlockPrefix(b);
            foreach (var (name, st) in state.Where(kv => kv.Key.StartsWith(oldPrefix, StringComparison.Ordinal)))
            {
                var newName = BlockPrefix(layer) + name[oldPrefix.Length..];
                // The first layer of a block may keep the old tensors when the values stay as they are.
                var own = mode == OptimizerStateDelink.Copy && reused.Add(name) ? st : st.Clone();
                if (mode == OptimizerStateDelink.Scale)
                {
                    own.ExpAvg.div_((double)uses[b]);
                    own.ExpAvgSq.div_((double)uses[b] * uses[b]);
                }
                else if (mode == OptimizerStateDelink.Reset)
                {
                    own.ExpAvg.zero_();
                    own.ExpAvgSq.zero_();
                    own.Step = 0;
                }
                result[newName] = own;
            }
        }
        return result;
    }
}
