using static TorchSharp.torch;

namespace GiantSharp.Training.Optim;

/// <summary>
/// AdamW state of one parameter: first and second moments (same shape, dtype and device as the
/// parameter, or wherever an offload plan keeps them) and the number of steps taken.
/// Owns its tensors: dispose it when the parameter goes away.
/// </summary>
public sealed class AdamWState : IDisposable
{
    /// <summary>Creates a state from existing moments (taking ownership) and a step count.</summary>
    public AdamWState(Tensor expAvg, Tensor expAvgSq, long step)
    {
        ExpAvg = expAvg;
        ExpAvgSq = expAvgSq;
        Step = step;
    }

    /// <summary>A zero state for a parameter shaped like <paramref name="like"/>.</summary>
    public static AdamWState ZerosLike(Tensor like) =>
        new(zeros_like(like).DetachFromDisposeScope(), zeros_like(like).DetachFromDisposeScope(), 0);

    /// <summary>First moment m (exp_avg), same shape as the parameter.</summary>
    public Tensor ExpAvg { get; }
    /// <summary>Second moment v (exp_avg_sq), same shape as the parameter.</summary>
    public Tensor ExpAvgSq { get; }
    /// <summary>Steps taken with this state (for bias correction).</summary>
    public long Step { get; set; }

    /// <summary>A deep copy (new storage).</summary>
    public AdamWState Clone() => new(ExpAvg.clone().DetachFromDisposeScope(), ExpAvgSq.clone().DetachFromDisposeScope(), Step);

    /// <inheritdoc />
    public void Dispose()
    {
        ExpAvg.Dispose();
        ExpAvgSq.Dispose();
    }
}
