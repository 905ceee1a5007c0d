using static TorchSharp.torch;

namespace GiantSharp.Model.Moe;

/// <summary>
/// Batched token dispatch and combine for MoE layers, with no per-token loop: a stable sort of the
/// assignments by expert gives each its arrival rank inside the expert; ranks below the capacity get a
/// slot in an (E, S, C) buffer, the rest are dropped. Tokens are gathered into the buffer with one
/// index_select and expert outputs gathered back with another (their gradients are index_add).
/// Source: Switch Transformer (Fedus et al. 2021), sec. 2.2 (capacity, dropping); GShard (Lepikhin et
/// al. 2020), Algorithm 1 (first choices served before second choices).
/// </summary>
internal static class MoeDispatch
{
    /// <summary>
    /// Slots per expert: ceil(capacity_factor * N * A / E) for N tokens, at least 1; 0 in no-drop mode
    /// (capacity_factor 0), where <see cref="Plan"/> uses the largest load of the call instead.
    /// </summary>
    public static long Capacity(MoeConfig moe, long tokens) =>
        moe.CapacityFactor == 0 ? 0 : Math.Max(1, (long)Math.Ceiling(moe.CapacityFactor * tokens * moe.AssignmentsPerToken / moe.NumExperts));

    /// <summary>
    /// Assigns slots to the M = A * N assignments <paramref name="expert"/> (M) int64, in priority order
    /// (the index order: earlier assignments win). At most <paramref name="capacity"/> per expert are kept
    /// (0: all). The buffer holds S = min(capacity, largest load) slots per expert: the same assignments are
    /// kept as with S = capacity, without computing on slots no expert could fill.
    /// </summary>
    public static MoeDispatchPlan Plan(Tensor expert, long tokens, int numExperts, long capacity)
    {
        using var scope = NewDisposeScope();
        long m = expert.shape[0];
        var load = expert.bincount(null, minlength: numExperts);                         // (E)
        long largest = Math.Max(1, load.max().item<long>());
        capacity = capacity == 0 ? largest : Math.Min(capacity, largest);
        var (sortedExpert, order) = expert.sort(stable: true);                           // (M), (M): by expert, ties in priority order
        var start = load.cumsum(0) - load;                                               // (E) first sorted position of each expert
        var rank = arange(m, dtype: ScalarType.Int64, device: expert.device) - start.index_select(0, sortedExpert); // (M) arrival rank inside the expert
        var keptSorted = rank.lt(capacity);
        var slotSorted = (sortedExpert * capacity + rank).masked_fill_(keptSorted.logical_not(), 0); // dropped -> slot 0 (masked)

        var slotToken = zeros(numExperts * capacity, dtype: ScalarType.Int64, device: expert.device);           // empty slots read token 0 (never combined)
        slotToken.index_copy_(0, slotSorted.masked_select(keptSorted), order.remainder(tokens).masked_select(keptSorted));
        var assignmentSlot = empty(m, dtype: ScalarType.Int64, device: expert.device).index_copy_(0, order, slotSorted);
        var kept = empty(m, dtype: ScalarType.Bool, device: expert.device).index_copy_(0, order, keptSorted);
        return new MoeDispatchPlan(capacity,
            slotToken.MoveToOuterDisposeScope(), assignmentSlot.MoveToOuterDisposeScope(),
            kept.MoveToOuterDisposeScope(), load.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Tokens (N, C) -> expert buffer (E, S, C). Empty slots hold a copy of token 0: <see cref="Combine"/> never
    /// reads their outputs, so they add exactly 0 to outputs and gradients (and save concatenating a zero row).
    /// </summary>
    public static Tensor Dispatch(Tensor tokens, MoeDispatchPlan plan, int numExperts)
    {
        using var scope = NewDisposeScope();
        var buffer = tokens.index_select(0, plan.SlotToken).view(numExperts, plan.Capacity, tokens.shape[1]);
        return buffer.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Expert outputs (E, S, C) and gates (M) -> per-token sum over its A assignments of gate * output, (N, C);
    /// dropped assignments add 0.
    /// </summary>
    public static Tensor Combine(Tensor expertOut, Tensor gate, MoeDispatchPlan plan, long tokens)
    {
        using var scope = NewDisposeScope();
        long c = expertOut.shape[2];
        var rows = expertOut.view(-1, c).index_select(0, plan.AssignmentSlot);           // (M, C)
        var weight = gate.to_type(expertOut.dtype).mul(plan.Kept).unsqueeze(1);          // (M, 1), 0 if dropped
        var y = rows * weight;
        var perToken = rows.shape[0] == tokens ? y : y.view(-1, tokens, c).sum(dim: 0); // (N, C)
        return perToken.MoveToOuterDisposeScope();
    }
}
