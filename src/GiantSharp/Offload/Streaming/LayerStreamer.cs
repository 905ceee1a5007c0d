using System.Diagnostics;
using GiantSharp.Offload.Storage;
using static TorchSharp.torch;

namespace GiantSharp.Offload.Streaming;

/// <summary>
/// The coordinator of streamed layers during one step: walks the plan's visit order (forward 0..L-1, backward
/// L-1..0, per micro-batch), binds each streamed layer's block to its bytes when it is needed, fetches the next
/// <see cref="OffloadPlan.PrefetchDepth"/> streamed layers in the background, releases a block when it is not
/// needed again within that window, and sends gradients to their tier in the background.
/// <para>Parameters on a tier the device can address (host memory when the device is the CPU) are bound in place,
/// with no copy; parameters on disk (or on host for a CUDA device) are read into staging slots: depth + 1 slots of
/// the largest streamed block, plus one per layer whose graph is kept across the turn from forward to backward
/// (<see cref="Pin"/>). Gradients likewise: autograd accumulates straight into the tier's buffer where the device
/// can address it, else into a gradient slot (zeroed for the first micro-batch, read back from the tier for later
/// ones) that is written out after the layer's backward, one write waiting at a time.</para>
/// Reads run on one worker and writes on another, so the drive can serve both while compute goes on.
/// Source: ZeRO-Infinity's prefetch/release coordinator and overlap-centric design (Rajbhandari et al. 2021,
/// sec. 6.2); M6-10T sec. 3.2.
/// </summary>
internal sealed class LayerStreamer : IDisposable
{
    private readonly OffloadSession _session;
    private readonly TransferWorker _reads;
    private readonly TransferWorker _writes;
    private readonly int _depth;
    private readonly SlotPool _paramSlots;
    private readonly SlotPool _gradSlots;
    private readonly Dictionary<int, Held> _held = new();
    private readonly Dictionary<int, GradHeld> _grads = new();
    private readonly Dictionary<int, int> _pinnedUntil = new();
    private readonly Dictionary<int, Task> _lastWrite = new();
    private readonly Queue<(Task Task, Tensor? Slot, Tensor View)> _pending = new();
    private int[] _order = [];
    private int _layers;
    private long _stallTicks;

    public LayerStreamer(OffloadSession session, TransferWorker reads, TransferWorker writes)
    {
        _session = session;
        _reads = reads;
        _writes = writes;
        _depth = session.Plan.PrefetchDepth;
        var largest = session.Plan.Managed.Where(p => p.Streamed).Select(p => session.LayoutOf(p.Block).Numel).DefaultIfEmpty(0).Max();
        _paramSlots = new SlotPool(largest, session.Device, Staging.ParamSlots(_depth, session.Plan.Config.KeepActivations));
        _gradSlots = new SlotPool(largest, session.Device, Staging.GradSlots(_depth));
    }

    /// <summary>Seconds the compute thread waited for transfers since the last <see cref="ResetCounters"/>.</summary>
    public double StallSeconds => _stallTicks / (double)Stopwatch.Frequency;
    /// <summary>Parameter bytes copied to the device since the last reset (in-place bindings move none).</summary>
    public long BytesFetched { get; private set; }
    /// <summary>Gradient bytes copied to their tier since the last reset (in-place accumulation moves none).</summary>
    public long BytesWritten { get; private set; }
    /// <summary>Bytes of the staging slots allocated so far (parameters and gradients).</summary>
    public long StagingBytes => _paramSlots.Bytes + _gradSlots.Bytes;

    /// <summary>Zeroes the counters.</summary>
    public void ResetCounters() { _stallTicks = 0; BytesFetched = 0; BytesWritten = 0; }

    /// <summary>
    /// Starts a walk over <paramref name="order"/> (layer indices, see <see cref="OffloadPlan.VisitOrder"/>); each pass
    /// over the stack visits <paramref name="layersPerPass"/> positions forward, then as many backward (a forward-only
    /// walk passes n_layer and an order of n_layer positions).
    /// </summary>
    public void Begin(int[] order, int layersPerPass)
    {
        _order = order;
        _layers = layersPerPass;
        _pinnedUntil.Clear();
    }

    /// <summary>Makes the layer at position <paramref name="pos"/> of the walk computable (and, in a backward visit, ready to receive gradients), and prefetches ahead.</summary>
    public void Acquire(int pos)
    {
        if (!IsStreamed(pos)) return;
        int b = BlockOf(pos);
        if (!_held.ContainsKey(b)) Fetch(b);
        foreach (var next in Window(pos, _depth))                             // queue the look-ahead before waiting
            if (!_held.ContainsKey(BlockOf(next))) Fetch(BlockOf(next));
        var held = _held[b];
        Wait(held.Fetch);
        if (!held.Bound)
        {
            BlockStorage.Bind(Block(b), held.View, _session.LayoutOf(b));
            _held[b] = held with { Bound = true };
        }
        if (!IsBackward(pos)) return;
        if (!_grads.ContainsKey(b))
        {
            while (!_gradSlots.CanRent && _pending.Count > 0) Finish(_pending.Dequeue());
            FillGradients(b, MicroBatch(pos));
        }
        var g = _grads[b];
        Wait(g.Fill);
        BlockStorage.BindGradients(Block(b), g.View, _session.LayoutOf(b));
    }

    /// <summary>
    /// Keeps the block of the layer at <paramref name="pos"/> bound until <see cref="Release"/> of position
    /// <paramref name="until"/> (its autograd graph, kept for the backward pass, holds views of its parameters).
    /// </summary>
    public void Pin(int pos, int until)
    {
        if (IsStreamed(pos)) _pinnedUntil[BlockOf(pos)] = until;
    }

    /// <summary>Done with the layer at <paramref name="pos"/>: its block is released unless pinned or needed again right away.</summary>
    public void Release(int pos)
    {
        if (!IsStreamed(pos)) return;
        int b = BlockOf(pos);
        if (_pinnedUntil.TryGetValue(b, out var until))
        {
            if (until > pos) return;
            _pinnedUntil.Remove(b);
        }
        if (Window(pos, Math.Max(_depth, 1)).Any(k => BlockOf(k) == b)) return;
        Drop(b);
    }

    /// <summary>
    /// After the backward visit of streamed layer <paramref name="layer"/>: detaches its gradients from the block and
    /// sends them to their tier in the background (nothing to send where autograd accumulated in place). With
    /// <paramref name="sumSquares"/> (last micro-batch), the worker also fills in each tensor's squared norm.
    /// </summary>
    public void WriteGradients(int layer, double[]? sumSquares)
    {
        int b = _session.Plan.LayerToBlock[layer];
        var g = _grads[b];
        _grads.Remove(b);
        BlockStorage.BindGradients(Block(b), null, _session.LayoutOf(b));
        var layout = _session.LayoutOf(b);
        var key = OffloadSession.GradsKey(b);
        var store = _session.Store;
        var view = g.View;
        var slot = g.Slot;
        var write = _writes.Enqueue(() =>
        {
            if (sumSquares is not null)
                for (int i = 0; i < layout.Entries.Count; i++)
                {
                    using var entry = layout.View(view, i);
                    sumSquares[i] = Training.GradientClipping.SumOfSquares(entry);
                }
            if (slot is null) return;
            using var padded = slot.narrow(0, 0, store.PaddedNumel(key));
            store.WriteRange(key, 0, padded);
        });
        if (slot is not null) BytesWritten += layout.Bytes;
        _lastWrite[b] = write;
        _pending.Enqueue((write, slot, view));
        while (_pending.Count > Staging.PendingWrites) Finish(_pending.Dequeue());   // back-pressure
    }

    /// <summary>Releases every held block and waits for every queued transfer; rethrows the first failure.</summary>
    public void End()
    {
        foreach (var (b, held) in _held.ToArray())
        {
            Wait(held.Fetch);
            Drop(b);
        }
        foreach (var (b, g) in _grads.ToArray()) DropGradients(b, g, wait: true);
        while (_pending.Count > 0) Finish(_pending.Dequeue());
        _lastWrite.Clear();
    }

    /// <summary>After a failure: releases everything and waits for the workers, ignoring further errors.</summary>
    public void Abort()
    {
        foreach (var (b, held) in _held.ToArray())
        {
            try { held.Fetch.Wait(); } catch (AggregateException) { }
            Drop(b);
        }
        foreach (var (b, g) in _grads.ToArray())
            try { DropGradients(b, g, wait: true); } catch (Exception e) when (e is not OutOfMemoryException) { }
        while (_pending.Count > 0)
            try { Finish(_pending.Dequeue()); } catch (Exception e) when (e is not OutOfMemoryException) { }
        _lastWrite.Clear();
    }

    private bool IsStreamed(int pos) => _session.Plan.IsStreamed(_order[pos]);
    private int BlockOf(int pos) => _session.Plan.LayerToBlock[_order[pos]];
    private bool IsBackward(int pos) => _order.Length > _layers && pos % (2 * _layers) >= _layers;
    private int MicroBatch(int pos) => _order.Length > _layers ? pos / (2 * _layers) : 0;
    private TorchSharp.torch.nn.Module Block(int b) => _session.Model.Layers.UniqueBlocks[b];

    /// <summary>The next <paramref name="n"/> streamed positions after <paramref name="pos"/>.</summary>
    private IEnumerable<int> Window(int pos, int n)
    {
        for (int k = pos + 1, seen = 0; k < _order.Length && seen < n; k++)
        {
            if (!IsStreamed(k)) continue;
            seen++;
            yield return k;
        }
    }

    /// <summary>Starts making block <paramref name="b"/>'s parameters available: bound in place where the device can address its tier, else read into a slot.</summary>
    private void Fetch(int b)
    {
        var key = OffloadSession.ParamsKey(b);
        var numel = _session.LayoutOf(b).Numel;
        if (Addressable(key))
        {
            _held[b] = new Held(null, _session.Store.Open(key).DetachFromDisposeScope(), Task.CompletedTask, false);
            return;
        }
        var slot = _paramSlots.Rent();
        var view = slot.narrow(0, 0, numel).DetachFromDisposeScope();
        var store = _session.Store;
        _held[b] = new Held(slot, view, _reads.Enqueue(() => ReadPadded(store, key, slot)), false);
        BytesFetched += 4 * numel;
    }

    /// <summary>
    /// Readies block <paramref name="b"/>'s gradient buffer for micro-batch <paramref name="m"/>'s backward: the tier's
    /// own buffer where addressable (zeroed for the first micro-batch), else a slot zeroed, or read back from the tier
    /// once the block's previous write is done.
    /// </summary>
    private void FillGradients(int b, int m)
    {
        var key = OffloadSession.GradsKey(b);
        var numel = _session.LayoutOf(b).Numel;
        if (Addressable(key))
        {
            var own = _session.Store.Open(key).DetachFromDisposeScope();
            if (m == 0) own.zero_();
            _grads[b] = new GradHeld(null, own, Task.CompletedTask);
            return;
        }
        var slot = _gradSlots.Rent();
        var view = slot.narrow(0, 0, numel).DetachFromDisposeScope();
        if (m == 0)
        {
            view.zero_();
            _grads[b] = new GradHeld(slot, view, Task.CompletedTask);
            return;
        }
        var store = _session.Store;
        var previous = _lastWrite.GetValueOrDefault(b) ?? Task.CompletedTask;
        _grads[b] = new GradHeld(slot, view, _reads.Enqueue(() =>
        {
            previous.GetAwaiter().GetResult();                                  // the read must see the last write
            ReadPadded(store, key, slot);
        }));
    }

    /// <summary>Reads group <paramref name="key"/> whole, padding included, into the front of <paramref name="slot"/> (aligned: the drive fills it directly). Runs on a worker.</summary>
    private static void ReadPadded(TensorStore store, string key, Tensor slot)
    {
        using var padded = slot.narrow(0, 0, store.PaddedNumel(key));
        store.ReadRange(key, 0, padded);
    }

    /// <summary>Whether group <paramref name="key"/> lives where the compute device can use it in place.</summary>
    private bool Addressable(string key) => Staging.Addressable(_session.Store.TierOf(key), _session.Device.type == TorchSharp.DeviceType.CPU);

    private void Drop(int b)
    {
        var held = _held[b];
        _held.Remove(b);
        BlockStorage.Hollow(Block(b), _session.LayoutOf(b));
        held.View.Dispose();
        if (held.Slot is not null) _paramSlots.Return(held.Slot);
    }

    private void DropGradients(int b, GradHeld g, bool wait)
    {
        _grads.Remove(b);
        if (wait) Wait(g.Fill);
        g.View.Dispose();
        if (g.Slot is not null) _gradSlots.Return(g.Slot);
    }

    /// <summary>Waits for a gradient write, frees its view on this thread (TorchSharp's dispose statistics, which the leak tests read, are per thread) and returns its slot to the pool.</summary>
    private void Finish((Task Task, Tensor? Slot, Tensor View) write)
    {
        try { Wait(write.Task); }
        finally
        {
            write.View.Dispose();
            if (write.Slot is not null) _gradSlots.Return(write.Slot);
        }
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

    /// <summary>Frees the staging slots.</summary>
    public void Dispose()
    {
        _paramSlots.Dispose();
        _gradSlots.Dispose();
    }

    private readonly record struct Held(Tensor? Slot, Tensor View, Task Fetch, bool Bound);
    private readonly record struct GradHeld(Tensor? Slot, Tensor View, Task Fill);
}
