using GiantSharp.Offload.Storage;

namespace GiantSharp.Offload.Streaming;

/// <summary>
/// How much staging memory the streamed step holds, in one place for the streamer (which allocates it) and the
/// plan (which counts it): parameter slots for layers copied in from a tier the device cannot address (disk, or
/// host memory when the device is a GPU), gradient slots for their gradients, the disk-tier optimizer's piece
/// buffers, and the bounce buffers of unaligned direct I/O. Each slot holds the largest streamed block, padded to
/// whole 4096-byte units.
/// </summary>
internal static class Staging
{
    /// <summary>
    /// Parameter slots: the layer computing, <paramref name="prefetch"/> layers fetched ahead, and the layers kept bound
    /// from forward to backward besides the last (<paramref name="keepActivations"/> - 1).
    /// </summary>
    public static int ParamSlots(int prefetch, int keepActivations) => prefetch + keepActivations;

    /// <summary>Gradient slots: the layer in its backward pass, and the one before it whose gradients are being written out.</summary>
    public static int GradSlots(int prefetch) => 2;

    /// <summary>Gradient writes that may wait at once (write-behind depth): one, overlapping the next layer's backward pass.</summary>
    public const int PendingWrites = 1;

    /// <summary>Bytes of the two transfer workers' bounce buffers (unaligned direct I/O only), for groups of at most <paramref name="largestManaged"/> parameters' moments.</summary>
    public static long BounceBytes(long largestManaged) => 2 * Math.Min(DirectFile.BounceBytes, 4 * 2 * AlignedBuffer.Padded(largestManaged) + 2 * DirectFile.Alignment);

    /// <summary>Staging bytes of a plan whose largest streamed block has <paramref name="largestStreamed"/> managed parameters.</summary>
    /// <param name="prefetch">Prefetch depth, in layers.</param>
    /// <param name="keepActivations">Layers that keep their graphs.</param>
    /// <param name="largestStreamed">Managed parameters of the largest streamed block (0: none streams).</param>
    /// <param name="paramsCopied">Whether some streamed block's parameters are copied in (not addressable in place).</param>
    /// <param name="gradsCopied">Whether some streamed block's gradients are copied out (not addressable in place).</param>
    /// <param name="anyDisk">Whether any group is on disk (the optimizer's piece buffers and the bounce buffers exist).</param>
    /// <param name="largestManaged">Managed parameters of the largest offloaded block (sizes the optimizer's pieces).</param>
    public static long Bytes(int prefetch, int keepActivations, long largestStreamed, bool paramsCopied, bool gradsCopied, bool anyDisk, long largestManaged)
    {
        long slot = 4 * AlignedBuffer.Padded(largestStreamed);
        long bytes = (paramsCopied ? ParamSlots(prefetch, keepActivations) * slot : 0) + (gradsCopied ? GradSlots(prefetch) * slot : 0);
        return bytes + (anyDisk ? StreamedOptimizer.StagingBytes(largestManaged) + BounceBytes(largestManaged) : 0);
    }

    /// <summary>Whether a group on <paramref name="tier"/> is used in place by a device of kind <paramref name="deviceIsCpu"/> (no staging copy).</summary>
    public static bool Addressable(Tier tier, bool deviceIsCpu) => tier == Tier.Device || (tier == Tier.Host && deviceIsCpu);
}
