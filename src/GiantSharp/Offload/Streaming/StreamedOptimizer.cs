using GiantSharp.Model;
using GiantSharp.Offload.Storage;
using GiantSharp.Sharing;
using GiantSharp.Training.Optim;
using TorchSharp;
using static TorchSharp.torch;

namespace GiantSharp.Offload.Streaming;

/// <summary>
/// The optimizer half of an offloaded step: global gradient norm over resident and offloaded parameters (in the
/// model's parameter order, so it equals <see cref="Training.GradientClipping.GlobalNorm"/>), then AdamW over every
/// offloaded block on the tier that holds its moments (ZeRO-Offload's CPU-side update, Ren et al. 2021, sec. 4;
/// ZeRO-Infinity's NVMe optimizer, sec. 5). Exact under clipping: the norm is known before any block steps.
/// <para>The update walks each block's flat groups in pieces of at most <see cref="PieceElements"/> elements. Groups
/// in memory are updated in place; pieces of groups on disk are read into aligned buffers, updated, and written
/// back, with the next piece read and the previous one written in the background (two buffer sets, so the drive
/// and the update overlap). AdamW is element-wise, so pieces give the same values as whole tensors.</para>
/// </summary>
internal static class StreamedOptimizer
{
    /// <summary>Elements per piece of the disk-tier update: 4 MiB of fp32 per group piece (a multiple of 1024; tests make it small to cut tensors into several pieces).</summary>
    internal static long PieceElements { get; set; } = 1L << 20;

    /// <summary>Elements of one piece buffer when the largest offloaded block manages <paramref name="largestManaged"/> parameters.</summary>
    public static long PieceBufferElements(long largestManaged) => Math.Min(PieceElements, AlignedBuffer.Padded(Math.Max(largestManaged, 1)));

    /// <summary>Bytes of the update's staging buffers when any group is on disk: two sets of four piece buffers.</summary>
    public static long StagingBytes(long largestManaged) => 2 * 4 * 4 * PieceBufferElements(largestManaged);

    /// <summary>
    /// Before a step: points the gradients of the managed parameters of offloaded blocks that stay on the device at
    /// their gradient group, zeroed, where the device can address it, so autograd accumulates there and no second
    /// copy of them exists (0 + g is exact).
    /// </summary>
    public static void BindDeviceBlockGradients(OffloadSession s)
    {
        foreach (var p in s.Plan.Managed.Where(p => !p.Streamed && Staging.Addressable(p.Grads, s.Device.type == DeviceType.CPU)))
        {
            using var flat = s.Store.Open(OffloadSession.GradsKey(p.Block));
            flat.zero_();
            BlockStorage.BindGradients(s.Model.Layers.UniqueBlocks[p.Block], flat, s.LayoutOf(p.Block));
        }
    }

    /// <summary>
    /// After the backward passes: the gradients of the managed parameters of offloaded blocks that stay on the
    /// device (summed by autograd over layers and micro-batches) end in their gradient group, with their squared
    /// norms filled in. Where <see cref="BindDeviceBlockGradients"/> bound them they are there already (the
    /// set-aside of later micro-batches adds back into the bound view); elsewhere they are copied. The block's other
    /// parameters keep their gradients for the resident optimizer.
    /// </summary>
    public static void FlushDeviceBlockGradients(OffloadSession s, double[][] squares)
    {
        foreach (var p in s.Plan.Managed.Where(p => !p.Streamed))
        {
            var layout = s.LayoutOf(p.Block);
            var ps = BlockStorage.Params(s.Model.Layers.UniqueBlocks[p.Block], layout);
            using var scope = NewDisposeScope();
            if (Staging.Addressable(p.Grads, s.Device.type == DeviceType.CPU))
            {
                var flat = s.Store.Open(OffloadSession.GradsKey(p.Block));
                for (int i = 0; i < ps.Length; i++) squares[p.Block][i] = Training.GradientClipping.SumOfSquares(layout.View(flat, i));
            }
            else
                s.Store.Write(OffloadSession.GradsKey(p.Block), ps.Select(q => q.grad ?? zeros_like(q)).ToArray(), squares[p.Block]);
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
    /// AdamW on every offloaded block, in block order and piece by piece, with gradients scaled by
    /// <paramref name="coef"/> (the clip coefficient) first. Disk pieces are read on <paramref name="reads"/> and
    /// written on <paramref name="writes"/>; returns when every write is done.
    /// </summary>
    /// <exception cref="Errors.DataException">A disk-tier file could not be read or written.</exception>
    public static void Step(OffloadSession s, TransferWorker reads, TransferWorker writes, double coef, double lr, AdamWOptions o)
    {
        var pieces = s.Plan.Managed.SelectMany(p => Pieces(s, p)).ToList();
        if (pieces.Count == 0) return;
        bool anyDisk = pieces.Any(q => q.Groups.Any(g => g.OnDisk));
        var size = PieceBufferElements(s.Plan.Managed.Max(p => p.Numel));
        var sets = anyDisk ? new[] { new PieceBuffers(size), new PieceBuffers(size) } : null;
        var loads = new Task[pieces.Count];
        var stores = new Task?[2];
        try
        {
            if (sets is not null) loads[0] = Load(pieces[0], sets[0], reads, s.Store);
            for (int k = 0; k < pieces.Count; k++)
            {
                if (sets is not null && k + 1 < pieces.Count)
                {
                    var next = (k + 1) % 2;
                    stores[next]?.GetAwaiter().GetResult();                      // that set's last write must be out first
                    loads[k + 1] = Load(pieces[k + 1], sets[next], reads, s.Store);
                }
                if (sets is not null) loads[k].GetAwaiter().GetResult();
                Update(s, pieces[k], sets?[k % 2], coef, lr, o);
                if (sets is not null) stores[k % 2] = Store(pieces[k], sets[k % 2], writes, s.Store);
            }
            foreach (var t in stores) t?.GetAwaiter().GetResult();
        }
        finally
        {
            foreach (var t in loads.Concat(stores)) try { t?.Wait(); } catch (AggregateException) { }
            if (sets is not null) foreach (var set in sets) set.Dispose();
        }
        foreach (var p in s.Plan.Managed)
        {
            var prefix = Delinker.BlockPrefix(p.Block);
            foreach (var e in s.LayoutOf(p.Block).Entries) s.Steps[prefix + e.Name]++;
        }
    }

    /// <summary>The pieces of block <paramref name="p"/>: element ranges of its layout, aligned to the direct-I/O granule.</summary>
    private static IEnumerable<Piece> Pieces(OffloadSession s, BlockPlacement p)
    {
        var layout = s.LayoutOf(p.Block);
        var moments = s.Store.LayoutOf(OffloadSession.MomentsKey(p.Block));
        long vStart = moments.Entries[layout.Entries.Count].Offset;
        for (long start = 0; start < layout.Numel; start += PieceElements)
        {
            long count = Math.Min(PieceElements, layout.Numel - start);
            var groups = new[]
            {
                Source(s, p.Streamed ? OffloadSession.ParamsKey(p.Block) : null, start, count),
                Source(s, OffloadSession.GradsKey(p.Block), start, count),
                Source(s, OffloadSession.MomentsKey(p.Block), start, count),
                Source(s, OffloadSession.MomentsKey(p.Block), vStart + start, count),
            };
            yield return new Piece(p, start, count, groups);
        }
    }

    private static GroupRange Source(OffloadSession s, string? key, long start, long count)
    {
        if (key is null) return new GroupRange(null, false, start, count, count);
        bool disk = s.Store.TierOf(key) == Tier.Disk;
        // A disk range is widened to whole 4096-byte units (up to the group's room), so the drive moves it directly.
        long io = disk ? Math.Min(AlignedBuffer.Padded(count), s.Store.PaddedNumel(key) - start) : count;
        return new GroupRange(key, disk, start, count, io);
    }

    private static Task Load(Piece piece, PieceBuffers set, TransferWorker reads, TensorStore store)
    {
        var buffers = set.For(piece);
        return reads.Enqueue(() =>
        {
            for (int g = 0; g < piece.Groups.Length; g++)
            {
                var r = piece.Groups[g];
                if (!r.OnDisk) continue;
                using var io = buffers[g]!.narrow(0, 0, r.IoCount);
                store.ReadRange(r.Key!, r.Start, io);
            }
        });
    }

    private static Task Store(Piece piece, PieceBuffers set, TransferWorker writes, TensorStore store)
    {
        var buffers = set.For(piece);
        return writes.Enqueue(() =>
        {
            for (int g = 0; g < piece.Groups.Length; g++)
            {
                var r = piece.Groups[g];
                if (!r.OnDisk || g == 1) continue;                                 // gradients are not written back
                using var io = buffers[g]!.narrow(0, 0, r.IoCount);
                store.WriteRange(r.Key!, r.Start, io);
            }
        });
    }

    /// <summary>AdamW on the entries of one piece, each on its overlap with the piece, through views of the piece's buffers or of the groups in memory.</summary>
    private static void Update(OffloadSession s, Piece piece, PieceBuffers? set, double coef, double lr, AdamWOptions o)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var p = piece.Placement;
        var layout = s.LayoutOf(p.Block);
        var prefix = Delinker.BlockPrefix(p.Block);
        var at = p.Optimizer == Tier.Device ? s.Device : CPU;
        var buffers = set?.For(piece);
        var flats = piece.Groups.Select((r, g) => r.Key is null || r.OnDisk ? null : s.Store.Open(r.Key)).ToArray();
        var resident = p.Streamed ? null : BlockStorage.Params(s.Model.Layers.UniqueBlocks[p.Block], layout);
        for (int i = 0; i < layout.Entries.Count; i++)
        {
            var e = layout.Entries[i];
            long lo = Math.Max(piece.Start, e.Offset), hi = Math.Min(piece.Start + piece.Count, e.Offset + e.Numel);
            if (lo >= hi) continue;
            Tensor View(int g)
            {
                var r = piece.Groups[g];
                long at0 = r.Start + (lo - piece.Start);                          // position of this overlap in group g
                return r.OnDisk ? buffers![g]!.narrow(0, lo - piece.Start, hi - lo) : flats[g]!.narrow(0, at0, hi - lo);
            }
            var param = resident is not null ? resident[i].view(-1).narrow(0, lo - e.Offset, hi - lo) : View(0);
            var grad = View(1);
            if (coef < 1.0) grad.mul_(coef);
            var name = prefix + e.Name;
            var (pw, gw) = (On(param, at), On(grad, at));
            var state = new AdamWState(On(View(2), at), On(View(3), at), s.Steps[name]);
            AdamW.Update(pw, gw, state, WeightDecayPolicy.Decays(name, e.Shape), lr, o);
            if (!ReferenceEquals(pw, param)) param.copy_(pw);
        }
    }

    private static Tensor On(Tensor t, Device device) => BlockStorage.SameDevice(t, device) ? t : t.to(device);

    /// <summary>A range of one group within a piece: logical elements [Start, Start + Count), moved as IoCount elements when on disk.</summary>
    private readonly record struct GroupRange(string? Key, bool OnDisk, long Start, long Count, long IoCount);

    /// <summary>One piece of a block: params, grads, exp_avg and exp_avg_sq ranges (params absent when the block's parameters stay on the device).</summary>
    private sealed record Piece(BlockPlacement Placement, long Start, long Count, GroupRange[] Groups);

    /// <summary>Aligned CPU buffers for the four groups of a piece, allocated on first use.</summary>
    private sealed class PieceBuffers(long elements) : IDisposable
    {
        private readonly Tensor?[] _buffers = new Tensor?[4];

        public Tensor?[] For(Piece piece)
        {
            for (int g = 0; g < 4; g++)
                if (piece.Groups[g].OnDisk) _buffers[g] ??= AlignedBuffer.Empty(elements, CPU);
            return _buffers;
        }

        public void Dispose()
        {
            foreach (var b in _buffers) b?.Dispose();
        }
    }
}
