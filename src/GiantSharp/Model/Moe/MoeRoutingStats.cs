namespace GiantSharp.Model.Moe;

/// <summary>
/// Routing diagnostics of one MoE module, summed over its forward calls (a shared module is called once
/// per layer it serves) until taken. Host-side numbers only: holds no tensors.
/// </summary>
internal sealed class MoeRoutingStats
{
    private readonly long[] _load;
    private long _assignments, _dropped;
    private double _balanceSum, _zSum;
    private int _calls;

    public MoeRoutingStats(int numExperts) => _load = new long[numExperts];

    /// <summary>Records one call: assignments per expert before dropping (E), assignments dropped, and the unscaled losses.</summary>
    public void Add(ReadOnlySpan<long> load, long dropped, double balanceLoss, double zLoss)
    {
        for (int e = 0; e < _load.Length; e++)
        {
            _load[e] += load[e];
            _assignments += load[e];
        }
        _dropped += dropped;
        _balanceSum += balanceLoss;
        _zSum += zLoss;
        _calls++;
    }

    /// <summary>
    /// Writes <c>moe/aux_loss</c> and <c>moe/z_loss</c> (mean per call, before their coefficients),
    /// <c>moe/dropped_fraction</c> (dropped / routed assignments) and <c>moe/expert_load/{e}</c> (share of
    /// routed assignments that chose expert e; sums to 1), then resets. Writes nothing if there was no call.
    /// </summary>
    public void Take(IDictionary<string, double> metrics)
    {
        if (_calls == 0) return;
        metrics["moe/aux_loss"] = _balanceSum / _calls;
        metrics["moe/z_loss"] = _zSum / _calls;
        metrics["moe/dropped_fraction"] = _assignments == 0 ? 0 : (double)_dropped / _assignments;
        for (int e = 0; e < _load.Length; e++)
            metrics[$"moe/expert_load/{e}"] = _assignments == 0 ? 0 : (double)_load[e] / _assignments;
        Array.Clear(_load);
        _assignments = _dropped = 0;
        _balanceSum = _zSum = 0;
        _calls = 0;
    }
}
