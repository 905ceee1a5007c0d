using System.Text;
using GiantSharp.Errors;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace GiantSharp.Parallel;

/// <summary>
/// The ranks of a run and the collectives training needs, over MPI's world communicator (one rank when the process
/// was not launched by <c>mpirun</c>/<c>mpiexec</c>, or MPI is not installed: then every collective is the identity).
/// Collectives act in place on contiguous CPU tensors (float32, float64, int64) through their data pointers, with no
/// copies. Every rank must call the same collectives in the same order (MPI's rule). Counts the bytes it moves.
/// Source: MPI 3.1 standard, ch. 5 (collective communication).
/// </summary>
public sealed class Communicator
{
    private static readonly Lock Gate = new();
    private static Communicator? _world;

    private Communicator(int rank, int size, bool mpi)
    {
        Rank = rank;
        Size = size;
        UsesMpi = mpi;
    }

    /// <summary>
    /// The world: initialised on first use (MPI_Init_thread, thread level funneled) when the environment says an MPI
    /// launcher started this process (<c>OMPI_COMM_WORLD_SIZE</c>, <c>PMI_SIZE</c> or <c>PMIX_RANK</c>); else one rank.
    /// MPI is finalised when the process exits.
    /// </summary>
    /// <exception cref="ParallelException">Launched by mpirun, but the MPI shim cannot be loaded or MPI fails to start.</exception>
    public static Communicator World
    {
        get
        {
            lock (Gate) return _world ??= Start();
        }
    }

    /// <summary>The world if it has been started (null before the first use of <see cref="World"/>); never starts MPI.</summary>
    public static Communicator? Started
    {
        get
        {
            lock (Gate) return _world;
        }
    }

    /// <summary>Whether an MPI launcher started this process (its environment variables are set).</summary>
    public static bool LaunchedByMpi =>
        Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is not null
        || Environment.GetEnvironmentVariable("PMI_SIZE") is not null
        || Environment.GetEnvironmentVariable("PMIX_RANK") is not null;

    /// <summary>This process's rank, 0 .. <see cref="Size"/> - 1.</summary>
    public int Rank { get; }
    /// <summary>The world size (number of ranks).</summary>
    public int Size { get; }
    /// <summary>Whether there is more than one rank.</summary>
    public bool IsDistributed => Size > 1;
    /// <summary>Whether this is rank 0 (the one that logs and commits checkpoints).</summary>
    public bool IsRoot => Rank == 0;
    /// <summary>Whether MPI was initialised (also true for <c>mpirun -np 1</c>).</summary>
    public bool UsesMpi { get; }
    /// <summary>Payload bytes this rank has handed to collectives so far (all-reduce: the buffer; reduce-scatter and all-gather: the full buffer).</summary>
    public long BytesCommunicated { get; private set; }
    /// <summary>Of <see cref="BytesCommunicated"/>, the bytes sent by all-to-all (expert parallelism's token exchange).</summary>
    public long AllToAllBytes { get; private set; }
    /// <summary>Seconds spent inside collectives so far (wall clock, includes waiting for other ranks).</summary>
    public double CommunicationSeconds { get; private set; }

    private static Communicator Start()
    {
        if (!LaunchedByMpi) return new Communicator(0, 1, false);
        try
        {
            Check(MpiNative.InitThread(MpiNative.ThreadFunneled(), out _), "MPI_Init_thread");
            Check(MpiNative.Rank(out var rank), "MPI_Comm_rank");
            Check(MpiNative.Size(out var size), "MPI_Comm_size");
            AppDomain.CurrentDomain.ProcessExit += (_, _) => MpiNative.FinalizeMpi();
            return new Communicator(rank, size, true);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            throw new ParallelException("launched by an MPI launcher, but libgiantsharp_mpi.so (the MPI shim, built with mpicc: apt-get install -y libopenmpi-dev, then rebuild) could not be loaded: " + e.Message);
        }
    }

    /// <summary>Waits until every rank has arrived.</summary>
    public void Barrier()
    {
        if (UsesMpi) Timed(0, () => Check(MpiNative.Barrier(), "MPI_Barrier"));
    }

    /// <summary>Sum of <paramref name="tensor"/> over all ranks, in place (contiguous CPU float32/float64/int64).</summary>
    public void AllReduceSum(Tensor tensor)
    {
        if (!UsesMpi) return;
        var (ptr, count, dtype) = Buffer(tensor, nameof(tensor));
        Timed(count * tensor.ElementSize, () => Check(MpiNative.AllReduceSum(ptr, count, dtype), "MPI_Allreduce"));
    }

    /// <summary>Sum of <paramref name="values"/> over all ranks, in place.</summary>
    public void AllReduceSum(double[] values)
    {
        if (!UsesMpi || values.Length == 0) return;
        var pin = GCHandle.Alloc(values, GCHandleType.Pinned);
        try
        {
            var ptr = pin.AddrOfPinnedObject();
            Timed(values.Length * sizeof(double), () => Check(MpiNative.AllReduceSum(ptr, values.Length, MpiNative.Float64), "MPI_Allreduce"));
        }
        finally { pin.Free(); }
    }

    /// <summary>The largest <paramref name="value"/> over all ranks (e.g. to agree that some rank failed).</summary>
    public long AllReduceMax(long value)
    {
        if (!UsesMpi) return value;
        Check(MpiNative.AllReduceMaxInt64(ref value), "MPI_Allreduce");
        return value;
    }

    /// <summary>Rank <paramref name="root"/>'s <paramref name="tensor"/> into every rank's, in place.</summary>
    public void Broadcast(Tensor tensor, int root = 0)
    {
        if (!UsesMpi) return;
        var (ptr, count, dtype) = Buffer(tensor, nameof(tensor));
        Timed(count * tensor.ElementSize, () => Check(MpiNative.Bcast(ptr, count, dtype, root), "MPI_Bcast"));
    }

    /// <summary>
    /// <paramref name="send"/> (Size * n elements, block r meant for rank r) summed over ranks; this rank's block into
    /// <paramref name="recv"/> (n elements). Same dtype, both contiguous.
    /// </summary>
    /// <exception cref="ArgumentException">The sizes do not match.</exception>
    public void ReduceScatterSum(Tensor send, Tensor recv)
    {
        if (send.NumberOfElements != recv.NumberOfElements * Size) throw new ArgumentException($"send has {send.NumberOfElements} elements, recv {recv.NumberOfElements}: expected Size x recv");
        if (!UsesMpi) { recv.copy_(send); return; }
        var (s, _, dtype) = Buffer(send, nameof(send));
        var (r, n, _) = Buffer(recv, nameof(recv));
        Timed(send.NumberOfElements * send.ElementSize, () => Check(MpiNative.ReduceScatterSum(s, r, n, dtype), "MPI_Reduce_scatter_block"));
    }

    /// <summary>Every rank's <paramref name="send"/> (n elements) in rank order into <paramref name="recv"/> (Size * n).</summary>
    /// <exception cref="ArgumentException">The sizes do not match.</exception>
    public void AllGather(Tensor send, Tensor recv)
    {
        if (recv.NumberOfElements != send.NumberOfElements * Size) throw new ArgumentException($"recv has {recv.NumberOfElements} elements, send {send.NumberOfElements}: expected Size x send");
        if (!UsesMpi) { recv.copy_(send); return; }
        var (s, n, dtype) = Buffer(send, nameof(send));
        var (r, _, _) = Buffer(recv, nameof(recv));
        Timed(recv.NumberOfElements * recv.ElementSize, () => Check(MpiNative.AllGather(s, r, n, dtype), "MPI_Allgather"));
    }

    /// <summary>
    /// All-to-all with per-rank element counts: rows [sendDispls[r], + sendCounts[r]) of <paramref name="send"/> go to rank r,
    /// rank r's rows land at recvDispls[r] of <paramref name="recv"/>. Counts and displacements in elements.
    /// </summary>
    public void AllToAllV(Tensor send, long[] sendCounts, long[] sendDispls, Tensor recv, long[] recvCounts, long[] recvDispls)
    {
        if (!UsesMpi) { recv.narrow(0, 0, send.shape[0]).copy_(send); return; }
        var (s, _, dtype) = Buffer(send, nameof(send));
        var (r, _, _) = Buffer(recv, nameof(recv));
        Timed(sendCounts.Sum() * send.ElementSize, () => Check(MpiNative.AllToAllV(s, sendCounts, sendDispls, r, recvCounts, recvDispls, dtype), "MPI_Alltoallv"));
        AllToAllBytes += sendCounts.Sum() * send.ElementSize;
    }

    /// <summary>Ends every rank of the job with <paramref name="code"/> (MPI_Abort); returns only without MPI.</summary>
    public void Abort(int code)
    {
        if (UsesMpi) MpiNative.Abort(code);
    }

    private void Timed(long bytes, Action collective)
    {
        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        collective();
        CommunicationSeconds += System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds;
        BytesCommunicated += bytes;
    }

    private static (IntPtr Ptr, long Count, int DType) Buffer(Tensor t, string name)
    {
        if (t.device_type != TorchSharp.DeviceType.CPU) throw new ArgumentException($"{name}: MPI collectives take CPU tensors, got {t.device}", name);
        if (!t.is_contiguous()) throw new ArgumentException($"{name}: must be contiguous", name);
        var dtype = t.dtype switch
        {
            ScalarType.Float32 => MpiNative.Float32,
            ScalarType.Float64 => MpiNative.Float64,
            ScalarType.Int64 => MpiNative.Int64,
            _ => throw new ArgumentException($"{name}: dtype {t.dtype} is not float32, float64 or int64", name),
        };
        var ptr = MpiNative.THSStorage_data_ptr(t.Handle) + (nint)(MpiNative.THSTensor_storage_offset(t.Handle) * t.ElementSize);
        return (ptr, t.NumberOfElements, dtype);
    }

    private static void Check(int code, string what)
    {
        if (code == 0) return;
        var buf = new byte[512];
        MpiNative.ErrorString(code, buf, buf.Length);
        throw new ParallelException($"{what} failed: {Encoding.ASCII.GetString(buf).TrimEnd('\0')}");
    }
}
