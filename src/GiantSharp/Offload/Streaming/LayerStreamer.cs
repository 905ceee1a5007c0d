using System.Diagnostics;
using static TorchSharp.torch;

namespace GiantSharp.Offload.Streaming;

/// <summary>
/// The coordinator of streamed layers during one step: walks the plan's visit order (forward 0..L-1, backward
/// L-1..0, per micro-batch), binds each streamed layer's block to a staging buffer on the device when it is
/// needed, fetches the next <see cref="OffloadPlan.PrefetchDepth"/> streamed layers in the background, releases
/// a block when it is not needed again within that window, and hands gradients to the worker to be accumulated
/// on their tier. Staging: depth + 1 buffers of the largest streamed block, plus one per layer whose graph is
/// kept across the turn from forward to backward (<see cref="Pin"/>). Source: ZeRO-Infinity's
/// prefetch/release coordinator (Rajbhandari et al. 2021, sec. 6.2); M6-10T sec. 3.2.
/// </summary>
internal sealed class LayerStreamer : IDisposable
{
    private readonly OffloadSession _session;
    private readonly TransferWorker _worker;
    private readonly int _depth;
    private readonly int _pins;
    private readonly List<Tensor> _slots = new();
    private readonly Stack<Tensor> _free = new();
    private readonly Dictionary<int, Held> _held = new();
    private readonly Dictionary<int, int> _pinnedUntil = new();
    private readonly Queue<(Task Task, Tensor[] Grads)> _writes = new();    // gradients are disposed here, on the compute thread
    private int[] _order = [];
    private long _stallTicks;

    public LayerStreamer(OffloadSession session, TransferWorker worker)
    {
        _session = session;
        _worker = worker;
        _depth = session.Plan.PrefetchDepth;
        _pins = session.Plan.Config.KeepActivations;
    }

    /// <summary>Seconds the compute thread waited for transfers since the last <see cref="ResetCounters"/>.</summary>
    public double StallSeconds => _stallTicks / (double)Stopwatch.Frequency;
    /// <summary>Bytes fetched to the device since the last reset.</summary>
    public long BytesFetched { get; private set; }
    /// <summary>Gradient bytes sent to their tier since the last reset.</summary>
    public long BytesWritten { get; private set; }

    /// <summary>Zeroes the counters.</summary>
    public void ResetCounters() { _stallTicks = 0; BytesFetched = 0; BytesWritten = 0; }

    /// <summary>Starts a walk over <paramref name="order"/> (layer indices, see <see cref="OffloadPlan.VisitOrder"/>).</summary>
    public void Begin(int[] order)
    {
        _order = order;
        _pinnedUntil.Clear();
    }

    /// <summary>Makes the layer at position <paramref name="pos"/> of the walk computable, and prefetches ahead.</summary>
    public void Acquire(int pos)
    {
        if (!_session.Plan.IsStreamed(_order[pos])) return;
        int b = BlockOf(pos);
        if (!_held.ContainsKey(b)) Issue(b);
        foreach (var next in Window(pos, _depth))                            // queue the look-ahead before waiting
            if (!_held.ContainsKey(next)) Issue(next);
        var held = _held[b];
        Wait(held.Fetch);
        if (!held.Bound)
        {
            BlockStorage.Bind(_session.Model.Layers.UniqueBlocks[b], held.View, _session.LayoutOf(b));
            _held[b] = held with { Bound = true };
        }
    }

    /// <summary>
    /// Keeps the block of the layer at <paramref name="pos"/> bound until <see cref="Release"/> of position
    /// <paramref name="until"/> (its autograd graph, kept for the backward pass, holds views of its parameters).
    /// </summary>
    public void Pin(int pos, int until)
    {
        if (_session.Plan.IsStreamed(_order[pos])) _pinnedUntil[BlockOf(pos)] = until;
    }

    /// <summary>Done with the layer at <paramref name="pos"/>: its block is released unless pinned or needed again right away.</summary>
    public void Release(int pos)
    {
        if (!_session.Plan.IsStreamed(_order[pos])) return;
        int b = BlockOf(pos);
        if (_pinnedUntil.TryGetValue(b, out var until))
        {
            if (until > pos) return;
            _pinnedUntil.Remove(b);
        }
        if (Window(pos, Math.Max(_depth, 1)).Contains(b)) return;
        Drop(b);
    }

    /// <summary>
    /// Moves the gradients of streamed layer <paramref name="layer"/>'s managed parameters out of the parameters to their tier
    /// (copied when <paramref name="overwrite"/>, else added), in the background. With <paramref name="sumSquares"/>,
    /// the worker also fills in each tensor's squared norm after the update.
    /// </summary>
    public void WriteGradients(int layer, bool overwrite, double[]? sumSquares)
    {
        int b = _session.Plan.LayerToBlock[layer];
        var grads = BlockStorage.Params(_session.Model.Layers.UniqueBlocks[b], _session.LayoutOf(b)).Select(p =>
        {
            var g = p.grad ?? throw new InvalidOperationException($"layer {layer}: a parameter has no gradient after backward");
            p.grad = null;
            return g.DetachFromDisposeScope();
        }).ToArray();
        var key = OffloadSession.GradsKey(b);
        _writes.Enqueue((_worker.Enqueue(() => _session.Store.Accumulate(key, grads, overwrite, sumSquares)), grads));
        BytesWritten += _session.LayoutOf(b).Bytes;
        // Back-pressure: at most depth + 1 layers of gradients wait in memory.
        while (_writes.Count > _depth + 1) Finish(_writes.Dequeue());
    }

    /// <summary>Releases every held block and waits for every queued transfer; rethrows the first failure.</summary>
    public void End()
    {
        foreach (var (b, held) in _held.ToArray())
        {
            Wait(held.Fetch);
            Drop(b);
        }
        while (_writes.Count > 0) Finish(_writes.Dequeue());
    }

    /// <summary>After a failure: releases everything and waits for the worker, ignoring further errors.</summary>
    public void Abort()
    {
        foreach (var (b, held) in _held.ToArray())
        {
            try { held.Fetch.Wait(); } catch (AggregateException) { }
            Drop(b);
        }
        while (_writes.Count > 0)
            try { Finish(_writes.Dequeue()); } catch (Exception e) when (e is not OutOfMemoryException) { }
    }

    /// <summary>
    /// Waits for a gradient write and frees its gradients on this thread, so each tensor is created and disposed on
    /// the same thread (TorchSharp's dispose statistics, which the leak tests read, are per thread).
    /// </summary>
    private void Finish((Task Task, Tensor[] Grads) write)
    {
        try { Wait(write.Task); }
        finally { foreach (var g in write.Grads) g.Dispose(); }
    }

    private int BlockOf(int pos) => _session.Plan.LayerToBlock[_order[pos]];

    /// <summary>Blocks of the next <paramref name="n"/> streamed positions after <paramref name="pos"/>.</summary>
    private IEnumerable<int> Window(int pos, int n)
    {
        for (int k = pos + 1, seen = 0; k < _order.Length && seen < n; k++)
        {
            if (!_session.Plan.IsStreamed(_order[k])) continue;
            seen++;
            yield return BlockOf(k);
        }
    }

    private void Issue(int b)
    {
        var numel = _session.LayoutOf(b).Numel;
        if (_free.Count == 0)
        {
            if (_slots.Count > _depth + _pins) throw new InvalidOperationException("offload: no free staging buffer (prefetch window bookkeeping is wrong)");
            var size = _session.Plan.Managed.Where(p => p.Streamed).Max(p => p.Numel);
            var fresh = empty(size, device: _session.Device).DetachFromDisposeScope();
            _slots.Add(fresh);
            _free.Push(fresh);
        }
        var full = _free.Pop();
        var view = full.narrow(0, 0, numel).DetachFromDisposeScope();
        var key = OffloadSession.ParamsKey(b);
        _held[b] = new Held(full, view, _worker.Enqueue(() => _session.Store.ReadInto(key, view)), false);
        BytesFetched += 4 * numel;
    }

    private void Drop(int b)
    {
        var held = _held[b];
        _held.Remove(b);
        BlockStorage.Hollow(_session.Model.Layers.UniqueBlocks[b], _session.LayoutOf(b));
        held.View.Dispose();
        _free.Push(held.Slot);
    }

    private void Wait(Task task)
    {
        if (!task.IsCompleted)
        {
            long start = Stopwatch.GetTimestamp();
            ((IAsyncResult)task).AsyncWaitHandle.WaitOne();
            _stallTicks += Stopwatch.GetTimestamp() - start;
        }
        task.GetAwaiter().GetResult();
    }

    /// <summary>Frees the staging buffers.</summary>
    public void Dispose()
    {
        foreach (var s in _slots) s.Dispose();
        _slots.Clear();
        _free.Clear();
    }

    private readonly record struct Held(Tensor Slot, Tensor View, Task Fetch, bool Bound);
}
