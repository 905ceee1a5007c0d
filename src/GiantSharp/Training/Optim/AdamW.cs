using static TorchSharp.torch;

namespace GiantSharp.Training.Optim;

/// <summary>
/// AdamW with decoupled weight decay (Loshchilov &amp; Hutter 2019, Algorithm 2), keyed by parameter
/// name (state-dict key) so that delinking can rename and copy state (M6-10T sec. 3.1) and offloading
/// can keep state on another tier. Numerically the same update as torch.optim.AdamW.
/// </summary>
public sealed class AdamW : IDisposable
{
    private readonly Dictionary<string, AdamWState> _state = new(StringComparer.Ordinal);

    /// <summary>Creates an optimizer with no state yet (state is created at a parameter's first step).</summary>
    public AdamW(AdamWOptions options) => Options = options;

    /// <summary>The hyperparameters.</summary>
    public AdamWOptions Options { get; }

    /// <summary>State per parameter name. Replaced wholesale by delinking and checkpoint loading.</summary>
    public IReadOnlyDictionary<string, AdamWState> State => _state;

    /// <summary>
    /// One step over <paramref name="parameters"/> (name, parameter) at learning rate <paramref name="lr"/>;
    /// parameters without a gradient are skipped. Runs under no_grad, inside its own dispose scope.
    /// </summary>
    public void Step(IEnumerable<(string Name, TorchSharp.Modules.Parameter Param)> parameters, double lr)
    {
        using var _ = no_grad();
        foreach (var (name, p) in parameters)
        {
            var grad = p.grad;
            if (grad is null) continue;
            if (!_state.TryGetValue(name, out var st))
                _state[name] = st = AdamWState.ZerosLike(p);
            Update(p, grad, st, WeightDecayPolicy.Decays(name, p), lr, Options);
        }
    }

    /// <summary>
    /// The AdamW update of one tensor, in place: p -= lr * (m_hat / (sqrt(v_hat) + eps) + wd * p).
    /// <paramref name="param"/>, <paramref name="grad"/> and the state must be on one device; the
    /// offload engine calls this per layer on the tier that holds the state.
    /// </summary>
    public static void Update(Tensor param, Tensor grad, AdamWState state, bool decay, double lr, AdamWOptions o)
    {
        using var scope = NewDisposeScope();
        state.Step++;
        if (decay && o.WeightDecay != 0) param.mul_(1 - lr * o.WeightDecay);
        state.ExpAvg.mul_(o.Beta1).add_(grad, alpha: 1 - o.Beta1);
        state.ExpAvgSq.mul_(o.Beta2).addcmul_(grad, grad, value: 1 - o.Beta2);
        var bc1 = 1 - Math.Pow(o.Beta1, state.Step);
        var bc2 = 1 - Math.Pow(o.Beta2, state.Step);
        var denom = state.ExpAvgSq.sqrt().div_(Math.Sqrt(bc2)).add_(o.Eps);
        param.addcdiv_(state.ExpAvg, denom, value: -lr / bc1);
    }

    /// <summary>Replaces all state (taking ownership of the new, disposing the old entries not reused).</summary>
    public void ReplaceState(IReadOnlyDictionary<string, AdamWState> state)
    {
        var keep = new HashSet<AdamWState>(state.Values, ReferenceEqualityComparer.Instance);
        foreach (var old in _state.Values)
            if (!keep.Contains(old)) old.Dispose();
        _state.Clear();
        foreach (var (k, v) in state) _state[k] = v;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var s in _state.Values) s.Dispose();
        _state.Clear();
    }
}
