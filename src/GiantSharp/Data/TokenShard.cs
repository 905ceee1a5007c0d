using System.IO.MemoryMappedFiles;
using GiantSharp.Errors;
using TorchSharp;
using static TorchSharp.torch;

namespace GiantSharp.Data;

/// <summary>
/// A memory-mapped file of token ids (little-endian uint16 or uint32), read without loading it: the
/// operating system pages in only the windows that batches touch. Reads are thread-safe.
/// </summary>
public sealed unsafe class TokenShard : IDisposable
{
    private readonly MemoryMappedFile? _file;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly byte* _base;
    private bool _disposed;

    private TokenShard(string path, int bytesPerToken, long length, MemoryMappedFile? file, MemoryMappedViewAccessor? view)
    {
        Path = path;
        BytesPerToken = bytesPerToken;
        Length = length;
        _file = file;
        _view = view;
        if (view is not null)
        {
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            _base = pointer + view.PointerOffset;
        }
    }

    /// <summary>Maps <paramref name="path"/> read-only.</summary>
    /// <param name="path">The shard file.</param>
    /// <param name="bytesPerToken">2 (uint16) or 4 (uint32).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bytesPerToken"/> is not 2 or 4.</exception>
    /// <exception cref="DataException">The file is missing or its size is not a whole number of tokens.</exception>
    public static TokenShard Open(string path, int bytesPerToken)
    {
        if (bytesPerToken is not (2 or 4))
            throw new ArgumentOutOfRangeException(nameof(bytesPerToken), bytesPerToken, "must be 2 or 4");
        if (!File.Exists(path))
            throw new DataException(path, "not found; run 'giant prepare' to make the corpus");
        long bytes = new FileInfo(path).Length;
        if (bytes % bytesPerToken != 0)
            throw new DataException(path, $"has {bytes} bytes, not a whole number of {bytesPerToken}-byte tokens (truncated?)");
        if (bytes == 0)
            return new TokenShard(path, bytesPerToken, 0, null, null);
        var file = MemoryMappedFile.CreateFromFile(
            new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete),
            mapName: null, capacity: 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
        var view = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        return new TokenShard(path, bytesPerToken, bytes / bytesPerToken, file, view);
    }

    /// <summary>The shard file.</summary>
    public string Path { get; }

    /// <summary>Bytes per token on disk: 2 or 4.</summary>
    public int BytesPerToken { get; }

    /// <summary>Number of tokens.</summary>
    public long Length { get; }

    /// <summary>The token id at position <paramref name="i"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="i"/> is outside [0, <see cref="Length"/>).</exception>
    public int this[long i]
    {
        get
        {
            if ((ulong)i >= (ulong)Length)
                throw new ArgumentOutOfRangeException(nameof(i), i, $"outside [0, {Length})");
            ThrowIfDisposed();
            return BytesPerToken == 2 ? ((ushort*)_base)[i] : (int)((uint*)_base)[i];
        }
    }

    /// <summary>Copies <paramref name="count"/> ids starting at <paramref name="start"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the shard.</exception>
    public int[] Read(long start, int count)
    {
        if (start < 0 || count < 0 || start > Length - count)
            throw new ArgumentOutOfRangeException(nameof(start), $"[{start}, {start}+{count}) is not inside [0, {Length})");
        var ids = new int[count];
        Copy(start, ids);
        return ids;
    }

    /// <summary>Throws unless the shard holds at least one window of <paramref name="seqLen"/> + 1 tokens.</summary>
    /// <exception cref="ConfigException">Key <c>seq_len</c>: not positive.</exception>
    /// <exception cref="DataException">The shard has fewer than seq_len + 1 tokens.</exception>
    public void EnsureFits(int seqLen)
    {
        if (seqLen <= 0)
            throw new ConfigException("seq_len", $"must be positive, got {seqLen}");
        if (Length < seqLen + 1L)
            throw new DataException(Path, $"has {Length} tokens, fewer than seq_len+1 = {seqLen + 1L}");
    }

    /// <summary>
    /// Inputs and next-token targets for windows starting at <paramref name="offsets"/>:
    /// X[b, t] = shard[offsets[b] + t], Y[b, t] = shard[offsets[b] + t + 1].
    /// </summary>
    /// <param name="offsets">Start positions (B of them), each in [0, Length - seqLen - 1].</param>
    /// <param name="seqLen">T, tokens per row.</param>
    /// <returns>X and Y, int64 tensors of shape (B, T) on the CPU.</returns>
    /// <exception cref="ConfigException">Key <c>seq_len</c>: not positive.</exception>
    /// <exception cref="DataException">The shard has fewer than seq_len + 1 tokens.</exception>
    /// <exception cref="ArgumentOutOfRangeException">No offsets, or an offset whose window leaves the shard.</exception>
    public (Tensor X, Tensor Y) GetBatch(ReadOnlySpan<long> offsets, int seqLen)
    {
        EnsureFits(seqLen);
        if (offsets.IsEmpty)
            throw new ArgumentOutOfRangeException(nameof(offsets), "no offsets (batch size 0)");
        int rows = offsets.Length;
        var x = new long[rows * (long)seqLen];
        var y = new long[rows * (long)seqLen];
        var window = new int[seqLen + 1];
        for (int b = 0; b < rows; b++)
        {
            long offset = offsets[b];
            if (offset < 0 || offset > Length - seqLen - 1)
                throw new ArgumentOutOfRangeException(nameof(offsets), offset, $"offsets[{b}] must be in [0, {Length - seqLen - 1}] for seq_len {seqLen}");
            Copy(offset, window);
            for (int t = 0; t < seqLen; t++)
            {
                x[b * seqLen + t] = window[t];
                y[b * seqLen + t] = window[t + 1];
            }
        }
        long[] shape = [rows, seqLen];
        return (torch.tensor(x, shape, ScalarType.Int64), torch.tensor(y, shape, ScalarType.Int64));
    }

    private void Copy(long start, Span<int> destination)
    {
        ThrowIfDisposed();
        if (BytesPerToken == 2)
        {
            var source = new ReadOnlySpan<ushort>((ushort*)_base + start, destination.Length);
            for (int i = 0; i < source.Length; i++)
                destination[i] = source[i];
        }
        else
        {
            new ReadOnlySpan<int>((int*)_base + start, destination.Length).CopyTo(destination);
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <summary>Unmaps the file.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        if (_view is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }
        _file?.Dispose();
    }
}
