using System.Text.Json.Serialization;
using GiantSharp.Errors;

namespace GiantSharp.Model;

/// <summary>
/// Mixture-of-experts feed-forward layers (Switch Transformer; M6-T expert prototyping, "k top-1",
/// Yang et al. 2021, sec. 3). Every <see cref="MoeEvery"/>-th layer's FFN becomes <see cref="NumExperts"/>
/// experts of width d_ff, routed per token.
/// </summary>
public sealed record MoeConfig
{
    /// <summary>Experts per MoE layer (E).</summary>
    public int NumExperts { get; init; } = 8;
    /// <summary>
    /// Experts each token is sent to (1 or 2) when <see cref="NumPrototypes"/> is 1. With top-2 the two gate
    /// probabilities are renormalised to sum to 1 (GShard, Lepikhin et al. 2020, sec. 2.2, Algorithm 1).
    /// </summary>
    public int TopK { get; init; } = 1;
    /// <summary>Expert prototypes (k in "k top-1"): experts split into this many groups, top-1 in each, outputs summed.</summary>
    public int NumPrototypes { get; init; } = 1;
    /// <summary>
    /// Slots per expert per forward call, as a multiple of an even share: capacity = ceil(capacity_factor * tokens *
    /// top_k * num_prototypes / num_experts) (with prototypes: ceil(capacity_factor * tokens / experts per prototype)).
    /// Assignments beyond it are dropped (the FFN outputs 0 for them). 0 disables dropping (no-drop mode).
    /// Switch Transformer (Fedus et al. 2021), sec. 2.2.
    /// </summary>
    public double CapacityFactor { get; init; } = 1.25;
    /// <summary>Coefficient of the Switch load-balancing auxiliary loss.</summary>
    public double AuxLossCoef { get; init; } = 0.01;
    /// <summary>Coefficient of the router z-loss (ST-MoE); 0 disables it.</summary>
    public double RouterZLossCoef { get; init; }
    /// <summary>Multiplicative jitter on router inputs during training, uniform in [1-eps, 1+eps]; 0 disables it.</summary>
    public double RouterJitter { get; init; }
    /// <summary>Layer i has an MoE FFN when (i + 1) % moe_every == 0; 1 means every layer.</summary>
    public int MoeEvery { get; init; } = 1;

    /// <summary>Routing assignments per token: top_k * num_prototypes (one of the two is always 1).</summary>
    [JsonIgnore] public int AssignmentsPerToken => TopK * NumPrototypes;

    /// <summary>Experts per prototype (G = num_experts / num_prototypes): each token's routing softmax runs over these.</summary>
    [JsonIgnore] public int ExpertsPerPrototype => NumExperts / NumPrototypes;

    /// <summary>Checks every field.</summary>
    /// <exception cref="ConfigException">A value is out of range; the message names the key.</exception>
    public void Validate(ModelConfig model, string prefix)
    {
        if (NumExperts <= 0) throw new ConfigException($"{prefix}.num_experts", $"must be > 0, got {NumExperts}");
        if (NumPrototypes <= 0) throw new ConfigException($"{prefix}.num_prototypes", $"must be > 0, got {NumPrototypes}");
        if (NumExperts % NumPrototypes != 0) throw new ConfigException($"{prefix}.num_experts", $"{NumExperts} is not divisible by num_prototypes = {NumPrototypes}");
        if (TopK is < 1 or > 2) throw new ConfigException($"{prefix}.top_k", $"must be 1 or 2, got {TopK}");
        if (NumPrototypes > 1 && TopK != 1) throw new ConfigException($"{prefix}.top_k", "expert prototyping routes top-1 inside each prototype; set top_k to 1");
        if (TopK > NumExperts / NumPrototypes) throw new ConfigException($"{prefix}.top_k", $"{TopK} > experts per prototype (num_experts / num_prototypes) = {NumExperts / NumPrototypes}");
        if (!(CapacityFactor >= 0) || double.IsInfinity(CapacityFactor)) throw new ConfigException($"{prefix}.capacity_factor", $"must be finite and >= 0 (0: no dropping), got {CapacityFactor}");
        // Written as !(x >= 0) so that NaN is rejected too.
        if (!(AuxLossCoef >= 0) || double.IsInfinity(AuxLossCoef)) throw new ConfigException($"{prefix}.aux_loss_coef", $"must be finite and >= 0, got {AuxLossCoef}");
        if (!(RouterZLossCoef >= 0) || double.IsInfinity(RouterZLossCoef)) throw new ConfigException($"{prefix}.router_z_loss_coef", $"must be finite and >= 0, got {RouterZLossCoef}");
        if (!(RouterJitter >= 0) || RouterJitter >= 1) throw new ConfigException($"{prefix}.router_jitter", $"must be in [0, 1), got {RouterJitter}");
        if (MoeEvery < 1 || MoeEvery > model.NLayer) throw new ConfigException($"{prefix}.moe_every", $"must be in [1, n_layer = {model.NLayer}], got {MoeEvery}");
    }

    /// <summary>Whether layer <paramref name="layer"/> (0-based) uses an MoE FFN.</summary>
    public bool IsMoeLayer(int layer) => (layer + 1) % MoeEvery == 0;
}
