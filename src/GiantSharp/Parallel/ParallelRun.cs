using GiantSharp.Config;
using GiantSharp.Errors;
using GiantSharp.Model;
using GiantSharp.Training.Optim;
using GiantSharp.Training.Steps;
using static TorchSharp.torch;

namespace GiantSharp.Parallel;

/// <summary>
/// What a trainer needs to know of the ranks of its run, applied from outside the model: the step executor of a
/// resident stage (<see cref="DataParallelTrainStep"/> on N &gt; 1 ranks), and the whole AdamW state to write in a
/// checkpoint (ZeRO pieces all-gathered; rank 0 writes, the others wait). With one rank it is transparent.
/// </summary>
public sealed class ParallelRun
{
    private readonly ParallelConfig _config;

    private ParallelRun(Communicator comm, ParallelConfig config)
    {
        Comm = comm;
        _config = config;
    }

    /// <summary>The ranks.</summary>
    public Communicator Comm { get; }

    /// <summary>
    /// The parallel side of <paramref name="config"/> on the world's ranks. Every rank checks the same config before any
    /// collective, so a config N ranks cannot run is refused by all of them alike.
    /// </summary>
    /// <exception cref="ConfigException">The batch does not split over the ranks, or the config asks for what is not available on several ranks yet (offloaded stages, <c>delink.when: auto</c>).</exception>
    /// <exception cref="ParallelException">MPI could not be started.</exception>
    public static ParallelRun For(RunConfig config)
    {
        var comm = Communicator.World;
        if (comm.IsDistributed)
        {
            if (config.Offload is not null && Enumerable.Range(0, config.Stages.Count).Any(config.IsOffloaded))
                throw new ConfigException("offload", $"offloaded stages do not run on {comm.Size} ranks yet (data parallelism and ZeRO are resident only): run one rank, or drop the offload section");
            if (config.Delink.When == DelinkTiming.Auto)
                throw new ConfigException("delink.when", $"'auto' does not run on {comm.Size} ranks yet: use 'scheduled' (the stage's steps), or one rank");
            DataShare.Validate(config, comm.Size);
            if (config.Parallel is { ExpertParallel: true } && config.Model.Moe is { } moe && moe.NumExperts % comm.Size != 0)
                throw new ConfigException("model.moe.num_experts", $"{moe.NumExperts} experts do not split over {comm.Size} ranks for parallel.expert_parallel");
        }
        return new ParallelRun(comm, config.Parallel ?? new ParallelConfig());
    }

    /// <summary>The executor of a resident stage on several ranks, or null with one rank (the caller's own then).</summary>
    public ITrainStep? Step() => Comm.IsDistributed ? new DataParallelTrainStep(Comm, _config) : null;

    /// <summary>
    /// The optimizer whose state a checkpoint holds: <paramref name="optimizer"/> itself, or with ZeRO on several ranks a
    /// new one holding every parameter's whole AdamW state, all-gathered (a collective: every rank calls it; dispose the
    /// result when it is not <paramref name="optimizer"/>).
    /// </summary>
    public AdamW WholeOptimizer(GptModel model, AdamW optimizer)
    {
        if (!Comm.IsDistributed || _config.ZeroStage == 0) return optimizer;
        var named = model.named_parameters().Where(p => optimizer.State.ContainsKey(p.name)).ToList();
        var shards = new ZeroShards(named.Select(p => p.parameter.NumberOfElements).ToList(), Comm.Rank, Comm.Size);
        var whole = new Dictionary<string, AdamWState>(optimizer.State.Where(kv => !named.Any(n => n.name == kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value.Clone()), StringComparer.Ordinal);
        using (var scope = NewDisposeScope())
        {
            Tensor Piece(int i, Tensor t) => t.shape.SequenceEqual(named[i].parameter.shape) && t.NumberOfElements != shards.Range(i).Length
                ? t.reshape(-1).narrow(0, shards.Range(i).Start, shards.Range(i).Length)                  // whole (not stepped since loading)
                : t.reshape(-1);
            var dtype = GradientBuckets.Transport(named.Count > 0 ? named[0].parameter.dtype : ScalarType.Float32);
            var m = Gather(shards, named.Select((p, i) => Piece(i, optimizer.State[p.name].ExpAvg)).ToList(), dtype);
            var v = Gather(shards, named.Select((p, i) => Piece(i, optimizer.State[p.name].ExpAvgSq)).ToList(), dtype);
            for (int i = 0; i < named.Count; i++)
            {
                var p = named[i].parameter;
                var mi = zeros_like(p).DetachFromDisposeScope();
                var vi = zeros_like(p).DetachFromDisposeScope();
                shards.UnpackOne(m, i, mi);
                shards.UnpackOne(v, i, vi);
                whole[named[i].name] = new AdamWState(mi, vi, optimizer.State[named[i].name].Step);
            }
        }
        var result = new AdamW(optimizer.Options);
        result.ReplaceState(whole);
        return result;
    }

    private Tensor Gather(ZeroShards shards, IReadOnlyList<Tensor> pieces, ScalarType dtype)
    {
        var packed = shards.PackPieces(pieces, dtype);
        var gathered = zeros(shards.PieceTotal * Comm.Size, dtype: dtype);
        Comm.AllGather(packed, gathered);
        return gathered;
    }
}
