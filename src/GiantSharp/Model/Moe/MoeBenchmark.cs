using System.Diagnostics;
using static TorchSharp.torch;

namespace GiantSharp.Model.Moe;

/// <summary>
/// Compares the training throughput of an MoE FFN with that of the dense FFN it replaces, at the same
/// active FLOPs: every expert has the dense width d_ff and each token visits one (top-1), so the MoE adds
/// only routing, dispatch/combine and capacity padding. Both run in one process, alternating iteration by
/// iteration so that machine noise hits both alike; tokens/s is taken from each one's fastest iteration (best), and the
/// ratio both ways, best and median (<see cref="Bench.StepTiming"/>). For <c>giant bench moe</c>.
/// </summary>
public static class MoeBenchmark
{
    /// <summary>Times forward + backward of both FFNs on <paramref name="tokens"/> random tokens (train mode, dropout 0).</summary>
    /// <param name="dModel">C, in features.</param>
    /// <param name="dFf">Hidden width of the dense FFN and of each expert, in features.</param>
    /// <param name="numExperts">E (top-1 routing).</param>
    /// <param name="tokens">Tokens per call (N).</param>
    /// <param name="capacityFactor">MoE capacity factor (0: no dropping).</param>
    /// <param name="iterations">Timed iterations of each FFN.</param>
    /// <param name="warmup">Untimed iterations of each FFN first.</param>
    /// <param name="threads">torch intra-op threads during the run (restored afterwards); 0 keeps the current setting.</param>
    /// <param name="seed">Seed of the weights and inputs.</param>
    /// <exception cref="Errors.ConfigException">The sizes make an invalid config.</exception>
    /// <exception cref="ArgumentOutOfRangeException">tokens or iterations is not positive, or warmup or threads is negative.</exception>
    public static MoeBenchmarkResult Run(int dModel = 512, int dFf = 2048, int numExperts = 8, int tokens = 4096,
        double capacityFactor = 1.25, int iterations = 20, int warmup = 2, int threads = 2, long seed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tokens);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(iterations);
        ArgumentOutOfRangeException.ThrowIfNegative(warmup);
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        var config = new ModelConfig
        {
            NLayer = 1, NHead = 1, DModel = dModel, DFf = dFf,
            Moe = new MoeConfig { NumExperts = numExperts, TopK = 1, CapacityFactor = capacityFactor },
        }.Validate();
        int before = get_num_threads();
        if (threads > 0) set_num_threads(threads);
        try
        {
            using var scope = NewDisposeScope();
            manual_seed(seed);
            using var dense = new FeedForward(config);
            using var moe = new MoeFeedForward(config);
            dense.train();
            moe.train();
            var x = randn(1, tokens, dModel);                                           // (1, N, C)
            var upstream = randn(1, tokens, dModel);                                    // dL/dy
            var denseSeconds = new List<double>();
            var moeSeconds = new List<double>();
            for (int i = 0; i < warmup + iterations; i++)
            {
                // Alternate which runs first, so that drift in machine load hits both alike.
                double d, m;
                if (i % 2 == 0) { d = Time(dense, x, upstream); m = Time(moe, x, upstream); }
                else { m = Time(moe, x, upstream); d = Time(dense, x, upstream); }
                if (i < warmup) continue;
                denseSeconds.Add(d);
                moeSeconds.Add(m);
            }
            var metrics = new Dictionary<string, double>();
            moe.TakeMetrics(metrics);                                                   // includes the warm-up calls
            var denseTime = Bench.StepTiming.Of(denseSeconds);
            var moeTime = Bench.StepTiming.Of(moeSeconds);
            return new MoeBenchmarkResult(tokens / denseTime.Best, tokens / moeTime.Best, denseTime.Best / moeTime.Best, denseTime.Median / moeTime.Median,
                metrics["moe/dropped_fraction"], get_num_threads());
        }
        finally
        {
            set_num_threads(before);
        }
    }

    // One training micro-step of an FFN: forward, loss sum(y * upstream) (+ aux loss), backward. Seconds.
    private static double Time(nn.Module<Tensor, Tensor> ffn, Tensor x, Tensor upstream)
    {
        using var scope = NewDisposeScope();
        ffn.zero_grad();
        var input = x.detach().requires_grad_();
        var watch = Stopwatch.StartNew();
        var loss = (ffn.call(input) * upstream).sum();
        if (ffn is IAuxiliaryLossSource source && source.TakeAuxiliaryLoss() is { } aux) loss = loss + aux;
        loss.backward();
        return watch.Elapsed.TotalSeconds;
    }
}
