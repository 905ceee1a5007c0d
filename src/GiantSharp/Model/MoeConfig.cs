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
    /// <summary>Experts each token is sent to (1 or 2) when <see cref="NumPrototypes"/> is 1.</summary>
    public int TopK { get; init; } = 1;
    /// <summary>Expert prototypes (k in "k top-1"): experts split into this many groups, top-1 in each, outputs summed.</summary>
    public int NumPrototypes { get; init; } = 1;
    /// <summary>Expert capacity = capacity_factor * tokens * top_k / num_experts; 0 disables dropping (no-drop mode).</summary>
    public double CapacityFactor { get; init; } = 1.25;
    /// <summary>Coefficient of the Switch load-balancing auxiliary loss.</summary>
    public double AuxLossCoef { get; init; } = 0.01;
    /// <summary>Coefficient of the router z-loss (ST-MoE); 0 disables it.</summary>
    public double RouterZLossCoef { get; init; }
    /// <summary>Multiplicative jitter on router inputs during training, uniform in [1-eps, 1+eps]; 0 disables it.</summary>
    public double RouterJitter { get; init; }
    /// <summary>Layer i has an MoE FFN when (i + 1) % moe_every == 0; 1 means every layer.</summary>
    public int MoeEvery { get; init; } = 1;

    /// <summary>Checks every field.</summary>
    /// <exception cref="ConfigException">A value is out of range; the message names the key.</exception>
    public void Validate(ModelConfig model, string prefix)
    {
        if (NumExperts <= 0) throw new ConfigException($"{prefix}.num_experts", $"must be > 0, got {NumExperts}");
        if (NumPrototypes <= 0) throw new ConfigException($"{prefix}.num_prototypes", $"must be > 0, got {NumPrototypes}");
        if (NumExperts % NumPrototypes != 0) throw new ConfigException($"{prefix}.num_experts", $"{NumExperts} is not divisible by num_prototypes = {NumPrototypes}");
        if (TopK is < 1 or > 2) throw new ConfigException($"{prefix}.top_k", $"must be 1 or 2, got {TopK}");
        if (TopK > NumExperts / NumPrototypes) throw new ConfigException($"{prefix}.top_k", $"{TopK} > experts per prototype = {NumExperts / NumPrototypes}");
        if (NumPrototypes > 1 && TopK != 1) throw new ConfigException($"{prefix}.top_k", "expert prototyping routes top-1 inside each prototype; set top_k to 1");
        if (CapacityFactor < 0 || double.IsNaN(CapacityFactor)) throw new ConfigException($"{prefix}.capacity_factor", $"must be >= 0 (0: no dropping), got {CapacityFactor}");
        if (AuxLossCoef < 0) throw new ConfigException($"{prefix}.aux_loss_coef", $"must be >= 0, got {AuxLossCoef}");
        if (RouterZLossCoef < 0) throw new ConfigException($"{prefix}.router_z_loss_coef", $"must be >= 0, got {RouterZLossCoef}");
        if (RouterJitter is < 0 or >= 1) throw new ConfigException($"{prefix}.router_jitter", $"must be in [0, 1), got {RouterJitter}");
        if (MoeEvery < 1 || MoeEvery > model.NLayer) throw new ConfigException($"{prefix}.moe_every", $"must be in [1, n_layer = {model.NLayer}], got {MoeEvery}");
    }

    /// <summary>Whether layer <paramref name="layer"/> (0-based) uses an MoE FFN.</summary>
    public bool IsMoeLayer(int layer) => (layer + 1) % MoeEvery == 0;
}
