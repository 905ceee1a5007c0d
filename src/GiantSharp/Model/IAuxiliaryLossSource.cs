using static TorchSharp.torch;

namespace GiantSharp.Model;

/// <summary>
/// A module that adds a loss term of its own to the training objective (the load-balancing and
/// z-losses of MoE layers, Switch Transformer sec. 2.2) and reports diagnostics. A shared module is
/// called once per layer it serves; it accumulates over those calls until taken.
/// </summary>
public interface IAuxiliaryLossSource
{
    /// <summary>The auxiliary loss (scalar, already multiplied by its coefficient) accumulated since the last call, or null; resets.</summary>
    Tensor? TakeAuxiliaryLoss();

    /// <summary>Adds diagnostics of the forward passes since the last call (e.g. <c>moe/dropped_fraction</c>) to <paramref name="metrics"/>; resets.</summary>
    void TakeMetrics(IDictionary<string, double> metrics);
}
