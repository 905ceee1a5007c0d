using GiantSharp.Model;
using GiantSharp.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace GiantSharp.Sharing;

/// <summary>
/// How much the layers that share a block agree on where its weights should go: for layer i applying block b,
/// cos(g_i, G_b - g_i), where g_i is the gradient the block gets through layer i and G_b the sum over every layer
/// applying b (the gradient the shared block trains on). 1: layer i pulls where the others do; 0: at right angles;
/// below 0: against them. While the layers agree, one shared block serves them; when they stop agreeing, separate
/// copies would each go their own way, which is when Yang et al. 2021 ("Speeding up Deep Model Training by Sharing
/// Weights and then Unsharing", sec. 4) untie the weights. Measured on the language-model loss (MoE auxiliary losses
/// left out), for one micro-batch; the global generator and the model's gradients are left as they were found
/// (none), so training is unchanged by a measurement.
/// </summary>
public static class GradientAgreement
{
    /// <summary>
    /// Per layer, cos(g_i, G_b - g_i) for tokens <paramref name="x"/> (B, T) and targets <paramref name="y"/> (B, T);
    /// NaN for a layer whose block no other layer applies. One forward pass keeping every layer's graph, and two
    /// backward passes layer by layer (the first sums G_b, the second takes each g_i as the growth of the block's
    /// gradient through its layer), so it costs about two training steps and a resident step's activations.
    /// </summary>
    public static double[] Measure(GptModel model, Tensor x, Tensor y)
    {
        int n = model.Layers.NumLayers;
        var map = model.Layers.LayerToBlock;
        var uses = new int[model.Layers.UniqueBlocks.Count];
        foreach (var b in map) uses[b]++;
        var result = Enumerable.Repeat(double.NaN, n).ToArray();
        if (uses.All(u => u < 2)) return result;

        using var rng = random.get_rng_state();
        using var scope = NewDisposeScope();
        model.zero_grad();
        // Forward, every layer on a leaf copy of its input, so each layer's backward can run on its own.
        var inputs = new Tensor[n];
        var outputs = new Tensor[n];
        Tensor h;
        using (no_grad()) h = model.Embed(x);
        for (int i = 0; i < n; i++)
        {
            inputs[i] = h.detach().requires_grad_(true);
            outputs[i] = model.Layers.LayerBlock(i).call(inputs[i]);
            h = outputs[i];
        }
        var top = h.detach().requires_grad_(true);
        LanguageModelLoss.CrossEntropy(model.Head(top), y).backward();
        AuxiliaryLosses.Take(model);                                              // not part of the measure
        AuxiliaryLosses.TakeMetrics(model);

        // Pass 1: G_b, the summed gradient of every shared block.
        var upstream = new Tensor[n];
        var grad = top.grad!;
        for (int i = n - 1; i >= 0; i--)
        {
            upstream[i] = grad;
            outputs[i].backward([grad], retain_graph: true);
            grad = inputs[i].grad!;
        }
        var total = model.Layers.UniqueBlocks.Select(b => b.parameters().Select(p => p.grad?.clone() ?? zeros_like(p)).ToArray()).ToArray();
        model.zero_grad();
        foreach (var t in inputs) t.grad = null;

        // Pass 2: each layer's own contribution g_i, as the growth of its block's gradient.
        var before = model.Layers.UniqueBlocks.Select(b => b.parameters().Select(p => zeros_like(p)).ToArray()).ToArray();
        for (int i = n - 1; i >= 0; i--)
        {
            using var layer = NewDisposeScope();
            outputs[i].backward([upstream[i]], retain_graph: i > 0);
            int b = map[i];
            var ps = model.Layers.UniqueBlocks[b].parameters().ToArray();
            double dot = 0, own = 0, all = 0;
            for (int k = 0; k < ps.Length; k++)
            {
                var now = ps[k].grad ?? zeros_like(ps[k]);
                var gi = (now - before[b][k]).to(ScalarType.Float64);
                var gb = total[b][k].to(ScalarType.Float64);
                dot += (gi * gb).sum().item<double>();
                own += gi.square().sum().item<double>();
                all += gb.square().sum().item<double>();
                before[b][k].copy_(now);
            }
            if (uses[b] < 2) continue;
            // cos(g_i, G - g_i) = (<g_i, G> - |g_i|^2) / (|g_i| |G - g_i|), |G - g_i|^2 = |G|^2 - 2 <g_i, G> + |g_i|^2
            double rest = Math.Sqrt(Math.Max(0, all - 2 * dot + own));
            result[i] = own > 0 && rest > 0 ? (dot - own) / (Math.Sqrt(own) * rest) : double.NaN;
        }
        model.zero_grad();
        random.set_rng_state(rng);
        return result;
    }
}
