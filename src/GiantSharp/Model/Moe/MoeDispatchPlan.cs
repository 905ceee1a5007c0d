using static TorchSharp.torch;

namespace GiantSharp.Model.Moe;

/// <summary>
/// Where each routing assignment goes in the capacity-padded expert buffer of one MoE call.
/// M = A * N assignments (A per token, N tokens), ordered by priority: assignment j is choice j / N of token j % N.
/// </summary>
/// <param name="Capacity">Slots per expert in the buffer (S): min(capacity, largest load); every kept assignment has one.</param>
/// <param name="SlotToken">(E * S) int64: the token in each slot; 0 for an empty slot (its output is never combined).</param>
/// <param name="AssignmentSlot">(M) int64: the slot of each assignment, 0 for dropped ones (masked by <paramref name="Kept"/>).</param>
/// <param name="Kept">(M) bool: whether the assignment found a slot.</param>
/// <param name="Load">(E) int64: assignments routed to each expert, before dropping.</param>
internal sealed record MoeDispatchPlan(long Capacity, Tensor SlotToken, Tensor AssignmentSlot, Tensor Kept, Tensor Load);
