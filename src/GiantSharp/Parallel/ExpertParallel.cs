using GiantSharp.Errors;
using GiantSharp.Model;
using GiantSharp.Model.Moe;
using static TorchSharp.torch;

namespace GiantSharp.Parallel;

/// <summary>
/// Expert parallelism (GShard, Lepikhin et al. 2020, sec. 2.2; M6-10T spreads its experts over the GPUs): the E experts
/// of every MoE layer are partitioned over the N ranks, rank r computing experts [r E/N, (r+1) E/N). Each rank routes its
/// own tokens into the capacity-padded (E, S, C) dispatch buffer as before; the ranks agree on the largest S, and an
/// all-to-all sends every expert's slots to the rank computing it, a second brings the outputs back (their gradients
/// travel the same way in the backward pass). Applied to a built model from outside (<see cref="MoeExperts.Executor"/>).
/// The weights stay replicated (every rank holds all experts, and ZeRO 1/2 shard their AdamW state): a rank's gradient
/// of an expert it does not compute is zero, so the data-parallel average gives every expert the one-process gradient.
/// </summary>
public static class ExpertParallel
{
    /// <summary>Partitions the experts of every MoE layer of <paramref name="model"/> over the ranks of <paramref name="comm"/>.</summary>
    /// <returns>Experts per rank, or 0 when the model has no MoE layer.</returns>
    /// <exception cref="ConfigException">Key <c>model.moe.num_experts</c>: not a multiple of the world size.</exception>
    public static int Apply(GptModel model, Communicator comm)
    {
        var layers = model.modules().OfType<MoeExperts>().ToList();
        if (layers.Count == 0) return 0;
        int e = layers[0].NumExperts;
        if (e % comm.Size != 0) throw new ConfigException("model.moe.num_experts", $"{e} experts do not split over {comm.Size} ranks for parallel.expert_parallel");
        foreach (var experts in layers) experts.Executor = x => Run(experts, x, comm);
        return e / comm.Size;
    }

    /// <summary>Slots (E, S, C) of this rank's tokens -> their experts' outputs (E, S, C), computed where the experts live.</summary>
    private static Tensor Run(MoeExperts experts, Tensor x, Communicator comm)
    {
        using var scope = NewDisposeScope();
        int n = comm.Size, e = experts.NumExperts, local = e / n;
        long s = x.shape[1], c = x.shape[2];
        long sMax = comm.AllReduceMax(s);                                                // every rank's buffer padded to one S
        var padded = s == sMax ? x : cat([x, zeros(e, sMax - s, c, dtype: x.dtype, device: x.device)], 1);
        var received = AllToAllFunction.Exchange(padded.view(n, local, sMax, c), comm);   // (N from, E/N, S, C)
        var mine = received.permute(1, 0, 2, 3).reshape(local, n * sMax, c);              // (E/N, N*S, C) every rank's slots of my experts
        var y = experts.ForwardExperts(mine, comm.Rank * local, local);                  // (E/N, N*S, C)
        var back = AllToAllFunction.Exchange(y.view(local, n, sMax, c).permute(1, 0, 2, 3), comm); // (N experts' owners, E/N, S, C)
        var result = back.reshape(e, sMax, c).narrow(1, 0, s);
        return result.MoveToOuterDisposeScope();
    }
}
