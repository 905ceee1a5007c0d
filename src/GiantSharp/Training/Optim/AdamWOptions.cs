namespace GiantSharp.Training.Optim;

/// <summary>Hyperparameters of AdamW (Loshchilov &amp; Hutter 2019). The learning rate comes from the schedule at each step.</summary>
public sealed record AdamWOptions
{
    /// <summary>Decay rate of the first moment (beta1).</summary>
    public double Beta1 { get; init; } = 0.9;
    /// <summary>Decay rate of the second moment (beta2).</summary>
    public double Beta2 { get; init; } = 0.95;
    /// <summary>Added to the denominator for numerical stability.</summary>
    public double Eps { get; init; } = 1e-8;
    /// <summary>Decoupled weight decay per unit of learning rate, applied only where <see cref="WeightDecayPolicy"/> says so.</summary>
    public double WeightDecay { get; init; } = 0.1;
}
