using GiantSharp.Model.Moe;
using static TorchSharp.torch;

namespace GiantSharp.Tests.Model.Moe;

/// <summary>
/// A per-token reference of <see cref="MoeFeedForward"/> in eval mode, written from the definition with
/// loops and float64: softmax per prototype, top-k, gates (renormalised for top-2), slots taken by first
/// choices of all tokens in order, then second choices, up to the capacity; y_t = sum of kept gate * expert(x_t).
/// </summary>
internal static class NaiveMoe
{
    public sealed record Result(Tensor Output, long Dropped, long[] Load);

    public static Result Forward(MoeFeedForward moe, Tensor x)
    {
        var cfg = moe.Moe;
        int e = cfg.NumExperts, p = cfg.NumPrototypes, g = e / p, k = cfg.TopK;
        var tokens = x.reshape(-1, x.shape[^1]).to_type(ScalarType.Float64);
        int n = (int)tokens.shape[0], c = (int)tokens.shape[1];
        var xs = tokens.data<double>().ToArray();
        var wr = moe.Router.weight!.to_type(ScalarType.Float64).data<double>().ToArray();   // (E, C)

        // choice[kk, pp, t] = (expert, gate)
        var choice = new (int Expert, double Gate)[k, p, n];
        for (int t = 0; t < n; t++)
            for (int pp = 0; pp < p; pp++)
            {
                var prob = new double[g];
                for (int j = 0; j < g; j++)
                    for (int i = 0; i < c; i++) prob[j] += wr[(pp * g + j) * c + i] * xs[t * c + i];
                double max = prob.Max(), sum = 0;
                for (int j = 0; j < g; j++) sum += prob[j] = Math.Exp(prob[j] - max);
                for (int j = 0; j < g; j++) prob[j] /= sum;
                var ranked = Enumerable.Range(0, g).OrderByDescending(j => prob[j]).Take(k).ToArray();
                double norm = k == 1 ? 1 : ranked.Sum(j => prob[j]);
                for (int kk = 0; kk < k; kk++) choice[kk, pp, t] = (pp * g + ranked[kk], prob[ranked[kk]] / norm);
            }

        long capacity = MoeFeedForward.Capacity(cfg, n);
        var used = new long[e];
        var load = new long[e];
        long dropped = 0;
        var y = zeros(n, c, dtype: ScalarType.Float64);
        for (int kk = 0; kk < k; kk++)
            for (int pp = 0; pp < p; pp++)
                for (int t = 0; t < n; t++)
                {
                    var (ex, gate) = choice[kk, pp, t];
                    load[ex]++;
                    if (capacity > 0 && used[ex] >= capacity) { dropped++; continue; }
                    used[ex]++;
                    y[t] += gate * Expert(moe.Experts, ex, tokens[t]);
                }
        return new Result(y, dropped, load);
    }

    private static Tensor Expert(MoeExperts experts, int e, Tensor x)
    {
        var h = x.matmul(experts.WFc[e].to_type(ScalarType.Float64));
        if (experts.BFc is not null) h += experts.BFc[e].to_type(ScalarType.Float64);
        var y = nn.functional.gelu(h).matmul(experts.WProj[e].to_type(ScalarType.Float64));
        if (experts.BProj is not null) y += experts.BProj[e].to_type(ScalarType.Float64);
        return y;
    }
}
