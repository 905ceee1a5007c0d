using System.Runtime.InteropServices;

namespace GiantSharp.Parallel;

/// <summary>
/// P/Invoke into <c>libgiantsharp_mpi.so</c>, the C shim of build/mpi/giantsharp_mpi.c, compiled with the installed MPI's
/// <c>mpicc</c> at build time. Only plain ints, sizes and pointers cross: MPI's handle types stay in C.
/// Every function returns MPI's error code (0 = success) unless said otherwise.
/// </summary>
internal static class MpiNative
{
    private const string Lib = "giantsharp_mpi";

    /// <summary>dtype codes of the shim.</summary>
    public const int Float32 = 0, Float64 = 1, Int64 = 2, Byte = 3;

    [DllImport(Lib, EntryPoint = "gs_mpi_init_thread")] public static extern int InitThread(int required, out int provided);
    [DllImport(Lib, EntryPoint = "gs_mpi_thread_funneled")] public static extern int ThreadFunneled();
    [DllImport(Lib, EntryPoint = "gs_mpi_rank")] public static extern int Rank(out int rank);
    [DllImport(Lib, EntryPoint = "gs_mpi_size")] public static extern int Size(out int size);
    [DllImport(Lib, EntryPoint = "gs_mpi_barrier")] public static extern int Barrier();
    [DllImport(Lib, EntryPoint = "gs_mpi_bcast")] public static extern int Bcast(IntPtr buf, long count, int dtype, int root);
    [DllImport(Lib, EntryPoint = "gs_mpi_allreduce_sum")] public static extern int AllReduceSum(IntPtr buf, long count, int dtype);
    [DllImport(Lib, EntryPoint = "gs_mpi_allreduce_max_int64")] public static extern int AllReduceMaxInt64(ref long value);
    [DllImport(Lib, EntryPoint = "gs_mpi_reduce_scatter_sum")] public static extern int ReduceScatterSum(IntPtr send, IntPtr recv, long count, int dtype);
    [DllImport(Lib, EntryPoint = "gs_mpi_allgather")] public static extern int AllGather(IntPtr send, IntPtr recv, long count, int dtype);
    [DllImport(Lib, EntryPoint = "gs_mpi_alltoallv")]
    public static extern int AllToAllV(IntPtr send, long[] sendCounts, long[] sendDispls, IntPtr recv, long[] recvCounts, long[] recvDispls, int dtype);
    [DllImport(Lib, EntryPoint = "gs_mpi_error_string")] public static extern void ErrorString(int code, byte[] buf, int len);
    [DllImport(Lib, EntryPoint = "gs_mpi_abort")] public static extern int Abort(int code);
    [DllImport(Lib, EntryPoint = "gs_mpi_finalize")] public static extern int FinalizeMpi();

    // TorchSharp binds no data pointer of a tensor; libtorch's C API (LibTorchSharp) exports the storage's.
    [DllImport("LibTorchSharp")] public static extern IntPtr THSStorage_data_ptr(IntPtr tensor);
    [DllImport("LibTorchSharp")] public static extern long THSTensor_storage_offset(IntPtr tensor);
}
