using System.Diagnostics;
using GiantSharp.Model;
using GiantSharp.Training;
using GiantSharp.Training.Optim;
using GiantSharp.Training.Steps;
using Parameter = TorchSharp.Modules.Parameter;
using static TorchSharp.torch;

namespace GiantSharp.Parallel;

/// <summary>
/// One optimizer step on N ranks, numerically the step one process takes on the whole global batch: each rank runs
/// forward and backward on its <see cref="DataShare"/>, gradients are averaged over the ranks, the global-norm clipping
/// uses the norm of the averaged gradient, and AdamW steps. With ZeRO (<see cref="ParallelConfig.ZeroStage"/>) each rank
/// keeps and updates only its <see cref="ZeroShards"/> piece of every parameter's AdamW moments, then the weights are
/// all-gathered; stage 1 all-reduces the gradients, stage 2 reduce-scatters them (each rank receives only its piece).
/// Only the model's unique parameters travel, so a Pseudo Giant (layers sharing one block) moves n_layer times fewer
/// block bytes than the Real Giant (M6-10T sec. 3.1). Metrics: <c>parallel/bytes</c> (payload bytes handed to
/// collectives by this rank in the step), <c>parallel/comm_seconds</c>, <c>parallel/comm_share</c> and
/// <c>parallel/step_seconds/rank{r}</c>; with expert parallelism <c>parallel/expert_bytes</c> (the all-to-all share of the bytes). Source: PyTorch DDP (Li et al. 2020); ZeRO (Rajbhandari et al. 2020).
/// </summary>
public sealed class DataParallelTrainStep : ITrainStep
{
    private readonly Communicator _comm;
    private readonly ParallelConfig _config;
    private bool _synced;

    /// <summary>A step over the ranks of <paramref name="comm"/> per <paramref name="config"/>.</summary>
    public DataParallelTrainStep(Communicator comm, ParallelConfig config)
    {
        _comm = comm;
        _config = config;
    }

    /// <inheritdoc />
    public StepResult Step(GptModel model, AdamW optimizer, IReadOnlyList<MicroBatch> microBatches, double lr, double gradClip)
    {
        using var scope = NewDisposeScope();
        var clock = Stopwatch.StartNew();
        var (bytes0, seconds0, tokens0) = (_comm.BytesCommunicated, _comm.CommunicationSeconds, _comm.AllToAllBytes);
        if (!_synced) BroadcastParameters(model);
        if (_config.ExpertParallel) ExpertParallel.Apply(model, _comm);                   // again after a delinking's new blocks

        var (loss, aux, metrics) = ResidentTrainStep.ForwardBackward(model, DataShare.Take(microBatches, _comm.Rank, _comm.Size));
        var (names, parameters, grads) = AgreedGradients(model);
        var norm = _config.ZeroStage == 0
            ? ReplicatedUpdate(names, parameters, grads, optimizer, lr, gradClip)
            : ShardedUpdate(names, parameters, grads, optimizer, lr, gradClip);

        // Scalars averaged over ranks (losses, diagnostics), step time per rank: one small all-reduce.
        var keys = metrics.Keys.Order(StringComparer.Ordinal).ToList();
        var values = new double[2 + keys.Count + _comm.Size];
        values[0] = loss;
        values[1] = aux;
        for (int i = 0; i < keys.Count; i++) values[2 + i] = metrics[keys[i]];
        values[2 + keys.Count + _comm.Rank] = clock.Elapsed.TotalSeconds;
        var bytes = _comm.BytesCommunicated - bytes0;
        var commSeconds = _comm.CommunicationSeconds - seconds0;
        _comm.AllReduceSum(values);
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        for (int i = 0; i < keys.Count; i++) result[keys[i]] = values[2 + i] / _comm.Size;
        result["parallel/world_size"] = _comm.Size;
        result["parallel/bytes"] = bytes;
        if (_config.ExpertParallel) result["parallel/expert_bytes"] = _comm.AllToAllBytes - tokens0;
        result["parallel/comm_seconds"] = commSeconds;
        result["parallel/comm_share"] = commSeconds / Math.Max(1e-12, clock.Elapsed.TotalSeconds);
        for (int r = 0; r < _comm.Size; r++) result[$"parallel/step_seconds/rank{r}"] = values[2 + keys.Count + r];
        return new StepResult(values[0] / _comm.Size, values[1] / _comm.Size, norm, result);
    }

    /// <summary>Rank 0's weights into every rank's (they start equal from the same seed; this makes sure).</summary>
    private void BroadcastParameters(GptModel model)
    {
        using var _ = no_grad();
        foreach (var p in model.parameters())
        {
            using var flat = p.detach().contiguous();
            _comm.Broadcast(flat);
            if (!ReferenceEquals(flat, p)) p.detach().copy_(flat);
        }
        _synced = true;
    }

    /// <summary>
    /// The trainable parameters that have a gradient on some rank, with their gradients (zeros where this rank's share
    /// did not reach a parameter), the same list on every rank; one process would skip only parameters no row reaches.
    /// </summary>
    private (List<string> Names, List<Parameter> Params, List<Tensor> Grads) AgreedGradients(GptModel model)
    {
        var all = model.named_parameters().Where(p => p.parameter.requires_grad).ToList();
        var has = all.Select(p => p.parameter.grad is null ? 0.0 : 1.0).ToArray();
        if (_comm.IsDistributed && has.Any(h => h == 0)) _comm.AllReduceSum(has);
        var names = new List<string>();
        var ps = new List<Parameter>();
        var grads = new List<Tensor>();
        for (int i = 0; i < all.Count; i++)
        {
            if (has[i] == 0) continue;
            names.Add(all[i].name);
            ps.Add(all[i].parameter);
            grads.Add(all[i].parameter.grad ?? zeros_like(all[i].parameter));
        }
        return (names, ps, grads);
    }

    /// <summary>ZeRO 0: all-reduce (bucketed), clip on the global norm, AdamW on whole tensors as one process does.</summary>
    private double ReplicatedUpdate(List<string> names, List<Parameter> ps, List<Tensor> grads, AdamW optimizer, double lr, double gradClip)
    {
        GradientBuckets.AllReduceMean(grads, _comm, BucketBytes);
        var norm = GradientClipping.GlobalNorm(grads);
        var coef = GradientClipping.ClipCoefficient(norm, gradClip);
        var states = EnsureState(optimizer, names, ps, i => ps[i].detach());
        using var _ = no_grad();
        for (int i = 0; i < ps.Count; i++)
        {
            if (coef < 1.0) grads[i].mul_(coef);
            AdamW.Update(ps[i].detach(), grads[i], states[i], WeightDecayPolicy.Decays(names[i], ps[i]), lr, optimizer.Options);
        }
        return norm;
    }

    /// <summary>ZeRO 1 and 2: this rank's piece of the averaged gradient, clip on the global norm, AdamW on the piece, all-gather the weights.</summary>
    private double ShardedUpdate(List<string> names, List<Parameter> ps, List<Tensor> grads, AdamW optimizer, double lr, double gradClip)
    {
        var shards = new ZeroShards(ps.Select(p => p.NumberOfElements).ToList(), _comm.Rank, _comm.Size);
        var dtype = GradientBuckets.Transport(ps[0].dtype);
        using var _ = no_grad();
        Tensor mine;                                                                     // (S) this rank's averaged gradient pieces
        if (_config.ZeroStage == 1)
        {
            GradientBuckets.AllReduceMean(grads, _comm, BucketBytes);
            mine = shards.Pack(grads, dtype);
        }
        else
        {
            var send = shards.Interleave(grads, dtype);                                  // (N*S)
            mine = zeros(shards.PieceTotal, dtype: dtype);
            _comm.ReduceScatterSum(send, mine);
            send.Dispose();
            mine.div_(_comm.Size);
        }
        var pieces = Enumerable.Range(0, ps.Count).Select(i => shards.PieceOf(mine, i)).ToList();
        var sumSq = new[] { pieces.Sum(GradientClipping.SumOfSquares) };
        _comm.AllReduceSum(sumSq);
        var norm = Math.Sqrt(sumSq[0]);
        var coef = GradientClipping.ClipCoefficient(norm, gradClip);
        if (coef < 1.0) mine.mul_(coef);

        Tensor Slice(int i) => ps[i].detach().view(-1).narrow(0, shards.Range(i).Start, shards.Range(i).Length);
        var states = EnsureState(optimizer, names, ps, Slice, shards);
        for (int i = 0; i < ps.Count; i++)
            AdamW.Update(Slice(i), pieces[i].to(ps[i].dtype), states[i], WeightDecayPolicy.Decays(names[i], ps[i]), lr, optimizer.Options);

        var packed = shards.Pack(ps.Select(p => p.detach()).ToList(), dtype);          // (S) updated pieces
        var gathered = zeros(shards.PieceTotal * _comm.Size, dtype: dtype);
        _comm.AllGather(packed, gathered);
        shards.Unpack(gathered, ps.Select(p => p.detach()).ToList());
        return norm;
    }

    /// <summary>
    /// The AdamW state of each parameter, as this rank keeps it (<paramref name="target"/>: the whole tensor, or its
    /// piece): created at a first step; a whole-tensor state (loaded from a checkpoint, or of a run with other ZeRO
    /// settings) is cut to this rank's piece.
    /// </summary>
    private static List<AdamWState> EnsureState(AdamW optimizer, List<string> names, List<Parameter> ps, Func<int, Tensor> target, ZeroShards? shards = null)
    {
        var state = new Dictionary<string, AdamWState>(optimizer.State, StringComparer.Ordinal);
        var changed = false;
        var result = new List<AdamWState>(names.Count);
        for (int i = 0; i < names.Count; i++)
        {
            var want = target(i);
            if (!state.TryGetValue(names[i], out var st))
            {
                st = AdamWState.ZerosLike(want.contiguous());
                state[names[i]] = st;
                changed = true;
            }
            else if (shards is not null && st.ExpAvg.shape.SequenceEqual(ps[i].shape) && !st.ExpAvg.shape.SequenceEqual(want.shape))
            {
                var (start, length) = shards.Range(i);
                st = new AdamWState(st.ExpAvg.reshape(-1).narrow(0, start, length).clone().DetachFromDisposeScope(),
                    st.ExpAvgSq.reshape(-1).narrow(0, start, length).clone().DetachFromDisposeScope(), st.Step);
                state[names[i]] = st;
                changed = true;
            }
            result.Add(st);
        }
        if (changed) optimizer.ReplaceState(state);
        return result;
    }

    private long BucketBytes => (long)(_config.BucketMb * 1024 * 1024);

    /// <inheritdoc />
    public void Dispose() { }
}
