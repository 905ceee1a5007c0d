namespace GiantSharp.Offload;

/// <summary>
/// The tiers one offloaded layer's managed tensors live on, as the memory planner chooses them per layer
/// (<see cref="Planning.MemoryPlanner"/>); a layer without one stays resident.
/// </summary>
/// <param name="Params">Tier of the parameters; <see cref="Tier.Device"/> keeps them resident (not streamed).</param>
/// <param name="Grads">Tier of the gradients.</param>
/// <param name="Optimizer">Tier of the AdamW moments.</param>
public sealed record LayerTiers(Tier Params, Tier Grads, Tier Optimizer)
{
    /// <inheritdoc />
    public override string ToString() => $"params {Name(Params)}, grads {Name(Grads)}, optimizer {Name(Optimizer)}";

    private static string Name(Tier tier) => tier.ToString().ToLowerInvariant();
}
