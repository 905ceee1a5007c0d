using System.Diagnostics;
using GiantSharp.Model;
using GiantSharp.Offload.Streaming;
using GiantSharp.Training;
using GiantSharp.Training.Optim;
using GiantSharp.Training.Steps;
using static TorchSharp.torch;

namespace GiantSharp.Offload;

/// <summary>
/// The layer-streamed step of granular offloading (M6-10T, Lin et al. 2021, sec. 3.2), numerically the step of
/// <see cref="ResidentTrainStep"/>. Per micro-batch: the forward pass runs layer by layer without autograd,
/// keeping only each layer's input (B, T, C) while the next layers are fetched in the background; the head's
/// loss gives the gradient of the last input; the backward pass walks the layers in reverse, fetching each,
/// recomputing its forward with autograd (same RNG state, so dropout masks repeat; the graphs of the last
/// <see cref="OffloadConfig.KeepActivations"/> layers are simply kept from the forward pass), back-propagating, and sending its gradients to their tier, where
/// micro-batches accumulate. Then the global norm over every gradient is known, the clip coefficient follows,
/// and AdamW steps resident parameters here and offloaded blocks on their optimizer tier.
/// Activation checkpointing per layer: Chen et al. 2016; streaming and overlap: ZeRO-Infinity (2021).
/// </summary>
public sealed class LayerStreamedTrainStep : ITrainStep
{
    private readonly OffloadSession _session;
    private readonly TransferWorker _reads = new("giant-offload-read");
    private readonly TransferWorker _writes = new("giant-offload-write");
    private readonly LayerStreamer _streamer;

    /// <summary>A step over the model and store of <paramref name="session"/>.</summary>
    public LayerStreamedTrainStep(OffloadSession session)
    {
        _session = session;
        _streamer = new LayerStreamer(session, _reads, _writes);
    }

    /// <summary>Timings and traffic of the last step, or null before the first.</summary>
    public OffloadStats? LastStats { get; private set; }

    /// <summary>Bytes of the staging slots allocated so far (streamed parameters and their gradients).</summary>
    public long StagingBytes => _streamer.StagingBytes;

    /// <inheritdoc />
    /// <exception cref="ArgumentException"><paramref name="model"/> is not the session's model, or no micro-batches.</exception>
    /// <exception cref="Errors.DataException">A disk-tier file vanished or could not be read or written.</exception>
    public StepResult Step(GptModel model, AdamW optimizer, IReadOnlyList<MicroBatch> microBatches, double lr, double gradClip)
    {
        if (!ReferenceEquals(model, _session.Model)) throw new ArgumentException("this is not the model of the step's offload session", nameof(model));
        if (microBatches.Count == 0) throw new ArgumentException("a step needs at least one micro-batch", nameof(microBatches));
        using var scope = NewDisposeScope();
        var clock = Stopwatch.StartNew();
        _streamer.ResetCounters();
        _reads.ResetBusy();
        _writes.ResetBusy();
        model.zero_grad();
        StreamedOptimizer.BindDeviceBlockGradients(_session);
        var squares = new double[model.Layers.UniqueBlocks.Count][];
        foreach (var p in _session.Plan.Managed) squares[p.Block] = new double[_session.LayoutOf(p.Block).Entries.Count];
        double lossSum = 0, auxSum = 0;
        var metrics = new MetricsAverager();
        _streamer.Begin(_session.Plan.VisitOrder(microBatches.Count), model.Layers.NumLayers);
        int pos = 0;
        try
        {
            for (int m = 0; m < microBatches.Count; m++)
            {
                using var inner = NewDisposeScope();
                var earlier = m > 0 ? GradientSetAside.Take(model) : [];          // micro-batch 0 adds onto zeros, which is exact
                var (loss, aux) = ForwardBackward(model, microBatches[m], m == microBatches.Count - 1, microBatches.Count, ref pos, squares, metrics);
                GradientSetAside.AddBack(earlier);
                lossSum += loss;
                auxSum += aux;
            }
            _streamer.End();
        }
        catch
        {
            _streamer.Abort();
            throw;
        }
        double transfer = Math.Max(_reads.BusySeconds, _writes.BusySeconds), stall = _streamer.StallSeconds;

        var optimizerClock = Stopwatch.StartNew();
        StreamedOptimizer.FlushDeviceBlockGradients(_session, squares);
        var gradNorm = StreamedOptimizer.GlobalNorm(model, _session, squares);
        var coef = GradientClipping.ClipCoefficient(gradNorm, gradClip);
        if (coef < 1.0)
        {
            using var _ = no_grad();
            foreach (var p in model.parameters())
                p.grad?.mul_(coef);
        }
        optimizer.Step(model.named_parameters(), lr);               // resident parameters (offloaded ones have no grad)
        StreamedOptimizer.Step(_session, _reads, _writes, coef, lr, optimizer.Options);
        LastStats = new OffloadStats(clock.Elapsed.TotalSeconds, optimizerClock.Elapsed.TotalSeconds, transfer, stall, _streamer.BytesFetched, _streamer.BytesWritten);
        var logged = new Dictionary<string, double>(metrics.Mean())
        {
            [OffloadStats.TransferKey] = transfer, [OffloadStats.StallKey] = stall, [OffloadStats.HiddenKey] = LastStats.HiddenFraction,
        };
        return new StepResult(lossSum / microBatches.Count, auxSum / microBatches.Count, gradNorm, logged);
    }

    /// <summary>
    /// Logits (B, T, V) of tokens <paramref name="x"/> (B, T) without autograd, the offloaded layers streamed in
    /// with prefetch as in the training forward pass; for evaluation (the caller sets eval mode). Each layer's
    /// temporaries are freed when the layer is done.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="model"/> is not the session's model.</exception>
    /// <exception cref="Errors.DataException">A disk-tier file vanished or could not be read.</exception>
    public Tensor Forward(GptModel model, Tensor x)
    {
        if (!ReferenceEquals(model, _session.Model)) throw new ArgumentException("this is not the model of the step's offload session", nameof(model));
        using var _ = no_grad();
        int n = model.Layers.NumLayers;
        _streamer.Begin(Enumerable.Range(0, n).ToArray(), n);
        try
        {
            using var scope = NewDisposeScope();
            var h = model.Embed(x);                                              // (B, T, C)
            for (int i = 0; i < n; i++)
            {
                _streamer.Acquire(i);
                var input = h;
                using (var layer = NewDisposeScope()) h = model.Layers.LayerBlock(i).call(h).MoveToOuterDisposeScope();
                input.Dispose();                                                 // only the newest (B, T, C) lives on
                _streamer.Release(i);
            }
            _streamer.End();
            return model.Head(h).MoveToOuterDisposeScope();                     // (B, T, V)
        }
        catch
        {
            _streamer.Abort();
            throw;
        }
    }

    /// <summary>
    /// One micro-batch: streamed forward without autograd, head backward, streamed recompute-and-backward. Every
    /// layer runs in a dispose scope of its own: only its input (B, T, C), its RNG state and, for the last
    /// <see cref="OffloadConfig.KeepActivations"/> layers, the ends of its graph survive it (the graph keeps what it saved).
    /// </summary>
    private (double Loss, double Aux) ForwardBackward(GptModel model, MicroBatch mb, bool last, int count, ref int pos, double[][] squares, MetricsAverager metrics)
    {
        int n = model.Layers.NumLayers;
        int keep = Math.Min(_session.Plan.Config.KeepActivations, n);          // the last `keep` layers keep their graphs
        var inputs = new Tensor[n];
        var rngs = new Tensor[n];
        var graphs = new (Tensor Input, Tensor Output, Tensor? Aux)?[n];
        var rngEmbed = random.get_rng_state();
        Tensor x;
        Tensor? auxValue = null;
        using (no_grad()) x = model.Embed(mb.X);                                 // (B, T, C)
        for (int i = 0; i < n; i++, pos++)
        {
            _streamer.Acquire(pos);
            inputs[i] = x;
            rngs[i] = random.get_rng_state();
            using (var layer = NewDisposeScope())
            {
                var block = model.Layers.LayerBlock(i);
                Tensor? aux;
                if (i < n - keep)
                {
                    using (no_grad()) x = block.call(x);
                    aux = AuxiliaryLosses.Take(block);                           // reported only: the recompute makes the one with a graph
                }
                else
                {
                    // The backward pass starts with the last layers: keep their graphs rather than recompute them.
                    _streamer.Pin(pos, pos + 2 * (n - 1 - i) + 1);               // bound until its backward position
                    var g = Run(model, i, x);
                    graphs[i] = (g.Input.MoveToOuterDisposeScope(), g.Output.MoveToOuterDisposeScope(), g.Aux?.MoveToOuterDisposeScope());
                    aux = g.Aux;
                    x = g.Output.detach();
                }
                if (aux is not null) auxValue = (auxValue is null ? aux.detach() : auxValue + aux.detach()).MoveToOuterDisposeScope();
                x.MoveToOuterDisposeScope();
            }
            _streamer.Release(pos);
        }
        var rngAfter = random.get_rng_state();
        metrics.Add(AuxiliaryLosses.TakeMetrics(model));

        var top = x.detach().requires_grad_(true);
        var loss = LanguageModelLoss.CrossEntropy(model.Head(top), mb.Y);      // scalar
        (loss / count).backward();
        var grad = top.grad!;                                                  // dLoss/dx_L (B, T, C)
        for (int i = n - 1; i >= 0; i--, pos++)
        {
            _streamer.Acquire(pos);
            using (var layer = NewDisposeScope())
            {
                var graph = graphs[i] ?? Recompute(model, i, inputs[i], rngs[i]);
                graphs[i] = null;
                if (graph.Aux is null) graph.Output.backward([grad]);
                else autograd.backward([graph.Output, graph.Aux / count], [grad, ones_like(graph.Aux)]);
                var upstream = grad;
                grad = graph.Input.grad!.MoveToOuterDisposeScope();
                upstream.Dispose();                                            // dLoss/d(output of layer i), no longer needed
            }
            if (_session.Plan.IsStreamed(i))
                _streamer.WriteGradients(i, last ? squares[model.Layers.LayerToBlock[i]] : null);
            _streamer.Release(pos);
        }
        random.set_rng_state(rngEmbed);
        model.Embed(mb.X).backward([grad]);
        random.set_rng_state(rngAfter);
        return (loss.item<float>(), auxValue?.item<float>() ?? 0.0);
    }

    /// <summary>Layer <paramref name="i"/> run again with autograd under the RNG state of its forward pass (same dropout masks); its diagnostics are dropped (the forward reported them).</summary>
    private static (Tensor Input, Tensor Output, Tensor? Aux) Recompute(GptModel model, int i, Tensor input, Tensor rng)
    {
        random.set_rng_state(rng);
        var graph = Run(model, i, input);
        AuxiliaryLosses.TakeMetrics(model.Layers.LayerBlock(i));
        return graph;
    }

    /// <summary>Layer <paramref name="i"/> with autograd on a leaf copy of <paramref name="x"/> (B, T, C): the leaf, the output, and the layer's auxiliary loss.</summary>
    private static (Tensor Input, Tensor Output, Tensor? Aux) Run(GptModel model, int i, Tensor x)
    {
        var input = x.detach().requires_grad_(true);
        var block = model.Layers.LayerBlock(i);
        var output = block.call(input);
        return (input, output, AuxiliaryLosses.Take(block));
    }

    /// <summary>Stops the transfer workers and frees the staging buffers.</summary>
    public void Dispose()
    {
        _reads.Dispose();
        _writes.Dispose();
        _streamer.Dispose();
    }
}
