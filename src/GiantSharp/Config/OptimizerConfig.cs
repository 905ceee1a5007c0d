using GiantSharp.Errors;
using GiantSharp.Training.Optim;

namespace GiantSharp.Config;

/// <summary>AdamW hyperparameters and gradient clipping (JSON key <c>optimizer</c>).</summary>
public sealed record OptimizerConfig
{
    /// <summary>First-moment decay.</summary>
    public double Beta1 { get; init; } = 0.9;
    /// <summary>Second-moment decay.</summary>
    public double Beta2 { get; init; } = 0.95;
    /// <summary>Denominator epsilon.</summary>
    public double Eps { get; init; } = 1e-8;
    /// <summary>Decoupled weight decay (matrices only, not norms, biases or embeddings).</summary>
    public double WeightDecay { get; init; } = 0.1;
    /// <summary>Maximum global gradient L2 norm; 0 disables clipping.</summary>
    public double GradClip { get; init; } = 1.0;
    /// <summary>What to do with a step whose loss or gradient norm is NaN or infinite: <c>stop</c> (default) or <c>skip</c>.</summary>
    public NonFinitePolicy OnNonfinite { get; init; } = NonFinitePolicy.Stop;

    /// <summary>The AdamW options.</summary>
    public AdamWOptions ToAdamW() => new() { Beta1 = Beta1, Beta2 = Beta2, Eps = Eps, WeightDecay = WeightDecay };

    /// <summary>Checks the fields.</summary>
    /// <exception cref="ConfigException">The first bad field, by key.</exception>
    public void Validate()
    {
        if (Beta1 is < 0 or >= 1) throw new ConfigException("optimizer.beta1", $"must be in [0, 1), got {Beta1}");
        if (Beta2 is < 0 or >= 1) throw new ConfigException("optimizer.beta2", $"must be in [0, 1), got {Beta2}");
        if (Eps <= 0) throw new ConfigException("optimizer.eps", $"must be > 0, got {Eps}");
        if (WeightDecay < 0) throw new ConfigException("optimizer.weight_decay", $"must be >= 0, got {WeightDecay}");
        if (GradClip < 0) throw new ConfigException("optimizer.grad_clip", $"must be >= 0 (0: off), got {GradClip}");
    }
}
