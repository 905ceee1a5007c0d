using GiantSharp.Offload.Storage;
using static TorchSharp.torch;

namespace GiantSharp.Offload.Streaming;

/// <summary>
/// Staging slots of the streamed step: flat fp32 buffers (aligned for direct I/O, see <see cref="AlignedBuffer"/>)
/// big enough for the largest streamed block, allocated on first need up to <see cref="Capacity"/> and reused.
/// Used by the compute thread only.
/// </summary>
internal sealed class SlotPool(long numel, Device device, int capacity) : IDisposable
{
    private readonly List<Tensor> _all = new();
    private readonly Stack<Tensor> _free = new();

    /// <summary>The most slots this pool allocates.</summary>
    public int Capacity { get; } = capacity;
    /// <summary>Whether <see cref="Rent"/> can return a slot now.</summary>
    public bool CanRent => _free.Count > 0 || _all.Count < Capacity;
    /// <summary>Bytes allocated so far.</summary>
    public long Bytes => _all.Count * 4 * AlignedBuffer.Padded(numel);

    /// <summary>A free slot, allocating one while under <see cref="Capacity"/>.</summary>
    /// <exception cref="InvalidOperationException">Every slot is in use: the caller's bookkeeping is wrong.</exception>
    public Tensor Rent()
    {
        if (_free.Count > 0) return _free.Pop();
        if (_all.Count >= Capacity) throw new InvalidOperationException($"offload: all {Capacity} staging slots are in use (prefetch window bookkeeping is wrong)");
        var slot = AlignedBuffer.Empty(numel, device);
        _all.Add(slot);
        return slot;
    }

    /// <summary>Gives a slot back.</summary>
    public void Return(Tensor slot) => _free.Push(slot);

    /// <summary>Frees every slot.</summary>
    public void Dispose()
    {
        foreach (var s in _all) s.Dispose();
        _all.Clear();
        _free.Clear();
    }
}
