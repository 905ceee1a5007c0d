using static TorchSharp.torch;

namespace GiantSharp.Parallel;

/// <summary>
/// Averages gradients over the ranks in buckets: the gradients are flattened into contiguous buffers of about
/// <c>parallel.bucket_mb</c> each (one dtype per bucket; float32 for any dtype MPI is not given), every buffer is
/// all-reduced (sum) once and divided by the world size, and the results are copied back. Fewer, larger messages than
/// one per tensor (PyTorch DDP's buckets, Li et al. 2020, sec. 3.2.3).
/// </summary>
public static class GradientBuckets
{
    /// <summary>Replaces every tensor of <paramref name="grads"/> by its mean over the ranks of <paramref name="comm"/>.</summary>
    /// <param name="grads">Gradients in the same order on every rank.</param>
    /// <param name="comm">The ranks.</param>
    /// <param name="bucketBytes">Largest bucket, in bytes (a tensor larger than this is a bucket of its own).</param>
    public static void AllReduceMean(IReadOnlyList<Tensor> grads, Communicator comm, long bucketBytes)
    {
        if (!comm.IsDistributed) return;
        using var _ = no_grad();
        var bucket = new List<Tensor>();
        long bytes = 0;
        foreach (var g in grads)
        {
            long size = g.NumberOfElements * 4;
            if (bucket.Count > 0 && (bytes + size > bucketBytes || Transport(bucket[0].dtype) != Transport(g.dtype)))
            {
                Reduce(bucket, comm);
                bucket.Clear();
                bytes = 0;
            }
            bucket.Add(g);
            bytes += size;
        }
        if (bucket.Count > 0) Reduce(bucket, comm);
    }

    /// <summary>The dtype a gradient travels in: its own when MPI takes it (float32, float64), else float32.</summary>
    public static ScalarType Transport(ScalarType dtype) => dtype is ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;

    private static void Reduce(List<Tensor> bucket, Communicator comm)
    {
        using var scope = NewDisposeScope();
        var dtype = Transport(bucket[0].dtype);
        var flat = cat(bucket.Select(g => g.reshape(-1).to(dtype)).ToList());          // (n,) contiguous
        comm.AllReduceSum(flat);
        flat.div_(comm.Size);
        long at = 0;
        foreach (var g in bucket)
        {
            g.copy_(flat.narrow(0, at, g.NumberOfElements).view_as(g));
            at += g.NumberOfElements;
        }
    }
}
