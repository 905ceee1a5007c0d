using GiantSharp.Model;
using GiantSharp.Sharing;
using GiantSharp.Training.Optim;
using TorchSharp;
using static TorchSharp.torch;

namespace GiantSharp.Offload.Streaming;

/// <summary>
/// The optimizer half of an offloaded step: global gradient norm over resident and offloaded parameters (in the
/// model's parameter order, so it equals <see cref="Training.GradientClipping.GlobalNorm"/>), then AdamW layer
/// by layer on the tier that holds each block's moments (ZeRO-Offload's CPU-side update, Ren et al. 2021,
/// sec. 4; ZeRO-Infinity's NVMe optimizer, sec. 5). Exact under clipping: the norm is known before any block steps.
/// </summary>
internal static class StreamedOptimizer
{
    /// <summary>
    /// Moves the gradients of the managed parameters of offloaded blocks that stay on the device (summed by
    /// autograd over layers and micro-batches) to their gradient group, filling in their squared norms; the
    /// block's other parameters keep their gradients for the resident optimizer.
    /// </summary>
    public static void FlushDeviceBlockGradients(OffloadSession s, double[][] squares)
    {
        foreach (var p in s.Plan.Managed.Where(p => !p.Streamed))
        {
            var ps = BlockStorage.Params(s.Model.Layers.UniqueBlocks[p.Block], s.LayoutOf(p.Block));
            using var scope = NewDisposeScope();
            var grads = ps.Select(q => q.grad ?? zeros_like(q)).ToArray();
            s.Store.Accumulate(OffloadSession.GradsKey(p.Block), grads, overwrite: true, squares[p.Block]);
            foreach (var q in ps) q.grad = null;
        }
    }

    /// <summary>
    /// The global L2 norm of all gradients, each parameter counted once: managed ones from
    /// <paramref name="squares"/>, the rest (resident blocks, and unmanaged parameters of offloaded blocks) from
    /// their gradients. Each tensor's float64 temporaries are freed before the next (one scope for
    /// all would hold 16 bytes per resident parameter at once).
    /// </summary>
    public static double GlobalNorm(GptModel model, OffloadSession s, double[][] squares)
    {
        double sumSq = 0;
        foreach (var (name, p) in model.named_parameters())
        {
            if (s.ManagedParams.TryGetValue(name, out var at)) sumSq += squares[at.Block][at.Entry];
            else if (p.grad is { } g) sumSq += Training.GradientClipping.SumOfSquares(g);
        }
        return Math.Sqrt(sumSq);
    }

    /// <summary>
    /// AdamW on every offloaded block, in block order, with gradients scaled by <paramref name="coef"/> (the clip
    /// coefficient) first; the next <see cref="OffloadPlan.PrefetchDepth"/> blocks' disk files are read ahead.
    /// </summary>
    public static void Step(OffloadSession s, TransferWorker worker, double coef, double lr, AdamWOptions o)
    {
        var managed = s.Plan.Managed.ToArray();
        var hints = new List<Task>();
        void Hint(int k)
        {
            if (k >= managed.Length) return;
            var b = managed[k].Block;
            var keys = new[] { OffloadSession.ParamsKey(b), OffloadSession.GradsKey(b), OffloadSession.MomentsKey(b) }.Where(s.Store.Contains).ToArray();
            hints.Add(worker.Enqueue(() => { foreach (var key in keys) s.Store.Prefetch(key); }));
        }
        if (s.Plan.PrefetchDepth > 0)
            for (int k = 0; k <= s.Plan.PrefetchDepth; k++) Hint(k);
        for (int k = 0; k < managed.Length; k++)
        {
            if (s.Plan.PrefetchDepth > 0) Hint(k + s.Plan.PrefetchDepth + 1);
            UpdateBlock(s, managed[k], coef, lr, o);
        }
        Task.WaitAll(hints);
    }

    private static void UpdateBlock(OffloadSession s, BlockPlacement p, double coef, double lr, AdamWOptions o)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var layout = s.LayoutOf(p.Block);
        var prefix = Delinker.BlockPrefix(p.Block);
        int n = layout.Entries.Count;
        var at = p.Optimizer == Tier.Device ? s.Device : CPU;
        var resident = p.Streamed ? null : BlockStorage.Params(s.Model.Layers.UniqueBlocks[p.Block], layout);
        var paramFlat = p.Streamed ? s.Store.Open(OffloadSession.ParamsKey(p.Block)) : null;
        var gradFlat = s.Store.Open(OffloadSession.GradsKey(p.Block), write: coef < 1.0);
        var moments = s.Store.LayoutOf(OffloadSession.MomentsKey(p.Block));
        var momentFlat = s.Store.Open(OffloadSession.MomentsKey(p.Block));
        for (int i = 0; i < n; i++)
        {
            var name = prefix + layout.Entries[i].Name;
            var param = resident is not null ? resident[i] : layout.View(paramFlat!, i);
            var grad = layout.View(gradFlat, i);
            if (coef < 1.0) grad.mul_(coef);
            var (pw, gw) = (On(param, at), On(grad, at));
            var state = new AdamWState(moments.View(momentFlat, i), moments.View(momentFlat, n + i), s.Steps[name]);
            AdamW.Update(pw, gw, state, WeightDecayPolicy.Decays(name, pw), lr, o);
            s.Steps[name] = state.Step;
            if (!ReferenceEquals(pw, param)) param.copy_(pw);
        }
    }

    private static Tensor On(Tensor t, Device device) => BlockStorage.SameDevice(t, device) ? t : t.to(device);
}
