using static TorchSharp.torch;

namespace GiantSharp.Offload.Storage;

/// <summary>
/// Flat fp32 buffers whose first byte is aligned to <see cref="DirectFile.Alignment"/> and whose length is a
/// multiple of it, so direct I/O can move them to and from the drive without a bounce copy.
/// </summary>
internal static class AlignedBuffer
{
    /// <summary>Elements per alignment unit (4096 bytes of fp32).</summary>
    public const long Granule = DirectFile.Alignment / 4;

    /// <summary><paramref name="numel"/> rounded up to a whole number of alignment units.</summary>
    public static long Padded(long numel) => (numel + Granule - 1) / Granule * Granule;

    /// <summary>
    /// An uninitialised fp32 tensor of <see cref="Padded"/>(<paramref name="numel"/>) elements on <paramref name="device"/>;
    /// on the CPU its data starts on an aligned address (the view of a slightly larger allocation, which it keeps alive).
    /// Detached from any dispose scope: the caller owns it.
    /// </summary>
    public static Tensor Empty(long numel, Device device)
    {
        long padded = Padded(numel);
        if (device.type != TorchSharp.DeviceType.CPU) return empty(padded, device: device).DetachFromDisposeScope();
        using var raw = empty(padded + Granule);
        long skip = Misalignment(raw) / 4;
        return raw.narrow(0, skip, padded).DetachFromDisposeScope();
    }

    /// <summary>Bytes from the tensor's first element up to the next aligned address (0 when aligned).</summary>
    private static unsafe long Misalignment(Tensor t)
    {
        using var first = t.narrow(0, 0, 1);
        fixed (byte* p = first.bytes)
        {
            long r = (long)(nint)p % DirectFile.Alignment;
            return r == 0 ? 0 : DirectFile.Alignment - r;
        }
    }
}
