using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace GiantSharp.Model.Moe;

/// <summary>
/// Mixture-of-experts feed-forward network, a drop-in replacement for <see cref="FeedForward"/>:
/// (B, T, C) -> (B, T, C), or any (*, C). Legend: N = B*T tokens, E experts, P prototypes,
/// G = E/P experts per prototype, K = top_k, A = P*K assignments per token, S slots per expert.
/// <list type="number">
/// <item>Route: logits = router(x) (N, E) without bias (inputs jittered by U[1-eps, 1+eps] in training);
/// softmax over the G experts of each prototype; top-K inside each prototype. Top-1: the gate is the raw
/// probability (Switch). Top-2: the two probabilities renormalised to sum to 1 (GShard, Algorithm 1).
/// Prototypes: top-1 in each, outputs summed with raw gates ("k top-1", M6-T, Yang et al. 2021, sec. 3).</item>
/// <item>Dispatch: first choices of all tokens in token order, then second choices, take slots until an
/// expert holds its capacity ceil(capacity_factor * N * A / E) (no-drop mode: no limit). Dropped
/// assignments contribute 0, so a token dropped everywhere passes through the block's residual only.
/// The buffer has S = min(capacity, largest load) slots per expert.</item>
/// <item>Experts: one batched matmul over the (E, S, C) buffer (<see cref="MoeExperts"/>); combine:
/// y_t = sum over t's kept assignments of gate * expert output; then dropout.</item>
/// </list>
/// Auxiliary loss (training only, accumulated over calls until <see cref="TakeAuxiliaryLoss"/>):
/// aux_loss_coef * G * sum_e f_e P_e averaged over prototypes, with f_e the fraction of tokens whose top-1
/// choice is e and P_e the mean router probability of e (Switch Transformer, Fedus et al. 2021, sec. 2.2,
/// eq. 4), plus router_z_loss_coef * mean over tokens and prototypes of logsumexp(logits)^2 (ST-MoE, Zoph
/// et al. 2022, sec. 3.3, eq. 5). State-dict keys: <c>router.weight</c> (E, C), <c>experts.*</c>.
/// </summary>
public sealed class MoeFeedForward : Module<Tensor, Tensor>, IAuxiliaryLossSource
{
    // Field names are the state-dict keys.
    private readonly Linear router;
    private readonly MoeExperts experts;
    private readonly Dropout dropout;
    private readonly int _dModel;
    private readonly MoeRoutingStats _stats;
    private Tensor? _pendingAux;

    /// <summary>Builds the router (N(0, init_std)) and E experts initialised like the dense FFN.</summary>
    /// <exception cref="Errors.ConfigException"><paramref name="config"/> has no <c>moe</c> section or is invalid.</exception>
    public MoeFeedForward(ModelConfig config) : base(nameof(MoeFeedForward))
    {
        if (config.Moe is null) throw new Errors.ConfigException("model.moe", "an MoE layer needs a moe section");
        config.Moe.Validate(config, "model.moe");
        Moe = config.Moe;
        _dModel = config.DModel;
        router = Linear(config.DModel, Moe.NumExperts, hasBias: false);
        experts = new MoeExperts(Moe.NumExperts, config.DModel, config.DFf, config.Bias, config.InitStd, config.InitStd / Math.Sqrt(2.0 * config.NLayer), config.Activation);
        dropout = Dropout(config.Dropout);
        _stats = new MoeRoutingStats(Moe.NumExperts);
        RegisterComponents();
        Init.Linear(router, config.InitStd);
    }

    /// <summary>The routing and loss settings.</summary>
    public MoeConfig Moe { get; }

    /// <summary>The router, weight (E, C), no bias.</summary>
    public Linear Router => router;

    /// <summary>The stacked expert weights.</summary>
    public MoeExperts Experts => experts;

    /// <summary>Slots per expert for a call on <paramref name="tokens"/> tokens, or 0 in no-drop mode (then: the call's largest load).</summary>
    public static long Capacity(MoeConfig moe, long tokens) => MoeDispatch.Capacity(moe, tokens);

    /// <summary>x (*, C) -> (*, C). In training mode also accumulates the auxiliary loss; in any mode the routing metrics.</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var tokens = x.reshape(-1, _dModel);                                            // (N, C)
        long n = tokens.shape[0];
        int e = Moe.NumExperts, p = Moe.NumPrototypes, g = Moe.ExpertsPerPrototype, k = Moe.TopK;

        // --- route ---
        var routerIn = training && Moe.RouterJitter > 0
            ? tokens * empty_like(tokens).uniform_(1 - Moe.RouterJitter, 1 + Moe.RouterJitter)
            : tokens;
        var logits = router.call(routerIn).view(n * p, g);                             // (N*P, G): 2-D keeps softmax on its fast path
        if (logits.dtype is ScalarType.Float16 or ScalarType.BFloat16) logits = logits.to_type(ScalarType.Float32); // softmax in >= fp32
        var probs = logits.softmax(-1);                                                 // (N*P, G)
        var (topProb, topIndex) = probs.topk(k, dim: -1);                               // (N*P, K)
        var gate = (k == 1 ? topProb : topProb / topProb.sum(-1, keepdim: true)).view(n, p, k);
        var expert = topIndex.view(n, p, k) + arange(p, dtype: ScalarType.Int64, device: x.device).mul_(g).view(1, p, 1); // (N, P, K) global ids
        // Priority order (K, P, N): every token's first choice before any second choice, tokens in order.
        var assignExpert = expert.permute(2, 1, 0).reshape(-1);                         // (A*N)
        var assignGate = gate.permute(2, 1, 0).reshape(-1);                             // (A*N)

        // --- dispatch, experts, combine ---
        var plan = MoeDispatch.Plan(assignExpert, n, e, MoeDispatch.Capacity(Moe, n));
        var expertOut = experts.call(MoeDispatch.Dispatch(tokens, plan, e));            // (E, S, C)
        var y = MoeDispatch.Combine(expertOut, assignGate, plan, n);                    // (N, C)
        y = dropout.call(y).view(x.shape);

        // --- auxiliary losses and metrics ---
        var firstChoice = assignExpert.narrow(0, 0, p * n).bincount(null, minlength: e); // (E) tokens whose top-1 is e
        var fraction = firstChoice.to_type(probs.dtype) / n;                            // f_e, sums to 1 per prototype
        var meanProb = probs.view(n, e).mean([0]);                                      // P_e
        var balance = (fraction * meanProb).sum() * ((double)g / p);                    // 1 when balanced
        var z = logits.logsumexp(-1).square().mean();
        if (training) AccumulateAux(balance, z);
        long dropped = n * Moe.AssignmentsPerToken - plan.Kept.sum().item<long>();
        _stats.Add(plan.Load.cpu().data<long>().ToArray(), dropped, balance.ToDouble(), z.ToDouble());
        return y.MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public Tensor? TakeAuxiliaryLoss()
    {
        var aux = _pendingAux is { IsInvalid: false } ? _pendingAux : null;
        _pendingAux = null;
        return aux;
    }

    /// <inheritdoc />
    /// <remarks>Keys: <c>moe/aux_loss</c>, <c>moe/z_loss</c> (per call, before coefficients), <c>moe/dropped_fraction</c>, <c>moe/expert_load/{e}</c>.</remarks>
    public void TakeMetrics(IDictionary<string, double> metrics) => _stats.Take(metrics);

    // Adds this call's weighted losses to the pending sum, which lives in the caller's dispose scope
    // (like the forward's output). If that scope ended before the sum was taken, the sum starts afresh.
    private void AccumulateAux(Tensor balance, Tensor z)
    {
        Tensor? aux = null;
        if (Moe.AuxLossCoef > 0) aux = balance * Moe.AuxLossCoef;
        if (Moe.RouterZLossCoef > 0) aux = aux is null ? z * Moe.RouterZLossCoef : aux + z * Moe.RouterZLossCoef;
        if (aux is null) return;
        if (_pendingAux is { IsInvalid: false }) aux = _pendingAux + aux;
        _pendingAux = aux.MoveToOuterDisposeScope();
    }
}
