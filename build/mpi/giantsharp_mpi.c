/* The C side of GiantSharp's MPI binding (src/GiantSharp/Parallel/Mpi.cs): plain functions over
 * MPI_COMM_WORLD with ints, sizes and data pointers only, so that MPI's ABI differences (Open MPI's
 * handles are pointers, MPICH's are ints) stay here. Compiled with mpicc at build time by
 * build-mpi-shim.sh; every function returns MPI's error code (0 = MPI_SUCCESS) unless said otherwise.
 * Counts are in elements; buffers are contiguous host memory. */
#include <mpi.h>
#include <dlfcn.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* dtype codes shared with C#: 0 float32, 1 float64, 2 int64, 3 uint8 */
static MPI_Datatype dtype_of(int code) {
    switch (code) {
    case 0: return MPI_FLOAT;
    case 1: return MPI_DOUBLE;
    case 2: return MPI_INT64_T;
    default: return MPI_BYTE;
    }
}

/* Makes MPI's own symbols global before MPI_Init: .NET loads this library with RTLD_LOCAL, and Open MPI's
 * plugins (mca components) resolve libmpi's symbols globally. Harmless where MPI was linked statically. */
static void promote_libmpi(void) {
    const char *names[] = { "libmpi.so.40", "libmpi.so.12", "libmpi.so", NULL };
    for (int i = 0; names[i]; i++)
        if (dlopen(names[i], RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD) || dlopen(names[i], RTLD_NOW | RTLD_GLOBAL)) return;
}

/* Initialises MPI (once) asking for `required` thread support; *provided gets what MPI gives. Errors return
 * instead of aborting (MPI_ERRORS_RETURN on the world communicator). */
int gs_mpi_init_thread(int required, int *provided) {
    int inited = 0;
    MPI_Initialized(&inited);
    if (!inited) {
        promote_libmpi();
        int rc = MPI_Init_thread(NULL, NULL, required, provided);
        if (rc != MPI_SUCCESS) return rc;
    } else MPI_Query_thread(provided);
    return MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
}

int gs_mpi_thread_multiple(void) { return MPI_THREAD_MULTIPLE; }
int gs_mpi_thread_serialized(void) { return MPI_THREAD_SERIALIZED; }
int gs_mpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }

int gs_mpi_rank(int *rank) { return MPI_Comm_rank(MPI_COMM_WORLD, rank); }
int gs_mpi_size(int *size) { return MPI_Comm_size(MPI_COMM_WORLD, size); }
int gs_mpi_barrier(void) { return MPI_Barrier(MPI_COMM_WORLD); }

int gs_mpi_bcast(void *buf, int64_t count, int dtype, int root) {
    if (count > INT_MAX) return MPI_ERR_COUNT;
    return MPI_Bcast(buf, (int)count, dtype_of(dtype), root, MPI_COMM_WORLD);
}

/* In-place sum over all ranks (float32, float64 or int64). */
int gs_mpi_allreduce_sum(void *buf, int64_t count, int dtype) {
    if (count > INT_MAX) return MPI_ERR_COUNT;
    return MPI_Allreduce(MPI_IN_PLACE, buf, (int)count, dtype_of(dtype), MPI_SUM, MPI_COMM_WORLD);
}

/* Max over all ranks (e.g. an error flag agreed before any further collective). */
int gs_mpi_allreduce_max_int64(int64_t *value) {
    return MPI_Allreduce(MPI_IN_PLACE, value, 1, MPI_INT64_T, MPI_MAX, MPI_COMM_WORLD);
}

/* send holds size * count elements, block r for rank r; recv gets the sum over ranks of this rank's block. */
int gs_mpi_reduce_scatter_sum(const void *send, void *recv, int64_t count, int dtype) {
    if (count > INT_MAX) return MPI_ERR_COUNT;
    return MPI_Reduce_scatter_block(send, recv, (int)count, dtype_of(dtype), MPI_SUM, MPI_COMM_WORLD);
}

/* Every rank's count elements of send, in rank order, into recv (size * count elements). */
int gs_mpi_allgather(const void *send, void *recv, int64_t count, int dtype) {
    if (count > INT_MAX) return MPI_ERR_COUNT;
    return MPI_Allgather(send, (int)count, dtype_of(dtype), recv, (int)count, dtype_of(dtype), MPI_COMM_WORLD);
}

/* All-to-all with per-rank counts and displacements in elements (arrays of `size` int64). */
int gs_mpi_alltoallv(const void *send, const int64_t *send_counts, const int64_t *send_displs,
                     void *recv, const int64_t *recv_counts, const int64_t *recv_displs, int dtype) {
    int size = 0;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int sc[size], sd[size], rc[size], rd[size];
    for (int i = 0; i < size; i++) {
        if (send_counts[i] > INT_MAX || send_displs[i] > INT_MAX || recv_counts[i] > INT_MAX || recv_displs[i] > INT_MAX) return MPI_ERR_COUNT;
        sc[i] = (int)send_counts[i]; sd[i] = (int)send_displs[i]; rc[i] = (int)recv_counts[i]; rd[i] = (int)recv_displs[i];
    }
    return MPI_Alltoallv(send, sc, sd, dtype_of(dtype), recv, rc, rd, dtype_of(dtype), MPI_COMM_WORLD);
}

/* The text of an MPI error code into buf (NUL-terminated). */
void gs_mpi_error_string(int code, char *buf, int len) {
    char text[MPI_MAX_ERROR_STRING];
    int n = 0;
    if (MPI_Error_string(code, text, &n) != MPI_SUCCESS) n = snprintf(text, sizeof text, "MPI error %d", code);
    if (len <= 0) return;
    if (n >= len) n = len - 1;
    memcpy(buf, text, (size_t)n);
    buf[n] = 0;
}

int gs_mpi_abort(int code) { return MPI_Abort(MPI_COMM_WORLD, code); }

int gs_mpi_finalize(void) {
    int inited = 0, finalized = 0;
    MPI_Initialized(&inited);
    MPI_Finalized(&finalized);
    return inited && !finalized ? MPI_Finalize() : MPI_SUCCESS;
}
