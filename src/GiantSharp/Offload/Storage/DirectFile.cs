using System.Runtime.InteropServices;
using GiantSharp.Errors;
using Microsoft.Win32.SafeHandles;

namespace GiantSharp.Offload.Storage;

/// <summary>
/// One file of the disk tier, read and written at positions (pread/pwrite) with the page cache bypassed
/// (Linux O_DIRECT), as ZeRO-Infinity's NVMe swapper does (Rajbhandari et al. 2021, sec. 6.3): the bytes really
/// come from and go to the drive, at the drive's speed, and do not pile up in the page cache. Direct I/O needs the
/// file offset, the length and the buffer address aligned to <see cref="Alignment"/> bytes; a call that is aligned
/// goes straight between the caller's buffer and the drive, any other goes through an aligned bounce buffer
/// (edges read first, so a write of an unaligned range leaves its neighbours intact). Where the file system
/// refuses O_DIRECT, or off Linux, the file is opened buffered (<see cref="IsDirect"/> false).
/// Positional I/O is thread-safe; two writers of overlapping unaligned ranges are not.
/// </summary>
internal sealed unsafe class DirectFile : IDisposable
{
    /// <summary>Alignment of direct I/O, in bytes (the page size; also a multiple of every common logical block size).</summary>
    public const int Alignment = 4096;

    /// <summary>The most an unaligned call stages at once, in bytes (its bounce buffer is the smaller of this and the call's aligned span).</summary>
    public const int BounceBytes = 4 << 20;

    private readonly SafeFileHandle _handle;

    private DirectFile(string path, SafeFileHandle handle, bool direct, long length)
    {
        Path = path;
        _handle = handle;
        IsDirect = direct;
        Length = length;
    }

    /// <summary>The file.</summary>
    public string Path { get; }
    /// <summary>Whether reads and writes bypass the page cache.</summary>
    public bool IsDirect { get; }
    /// <summary>The file's size in bytes (a multiple of <see cref="Alignment"/> for files this class creates).</summary>
    public long Length { get; }

    /// <summary>Test hook: when true, opening with O_DIRECT on this thread is treated as refused (as on a file system without it).</summary>
    internal static bool SimulateRefusal { get => _simulateRefusal; set => _simulateRefusal = value; }

    [ThreadStatic] private static bool _simulateRefusal;

    /// <summary>Rounds <paramref name="bytes"/> up to a multiple of <see cref="Alignment"/>.</summary>
    public static long Padded(long bytes) => (bytes + Alignment - 1) / Alignment * Alignment;

    /// <summary>
    /// Creates (or replaces) <paramref name="path"/> with <see cref="Padded"/>(<paramref name="bytes"/>) zero bytes, its
    /// blocks reserved now (fallocate) so that a full disk fails here rather than mid-run, and opens it.
    /// </summary>
    /// <exception cref="DataException">The file cannot be created or the disk is full; the message names the path.</exception>
    public static DirectFile Create(string path, long bytes)
    {
        var padded = Padded(Math.Max(bytes, 1));
        StoreFiles.Guard(path, $"cannot preallocate {Units.Bytes(padded)}", () =>
        {
            using var fs = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.Create, Access = FileAccess.ReadWrite, Share = FileShare.ReadWrite, PreallocationSize = padded,
            });
            fs.SetLength(padded);
        });
        return Open(path);
    }

    /// <summary>Opens an existing file for reading and writing, direct where the file system allows.</summary>
    /// <exception cref="DataException">The file is missing or cannot be opened.</exception>
    public static DirectFile Open(string path)
    {
        if (!File.Exists(path)) throw new DataException(path, "the offload file is gone");
        long length = new FileInfo(path).Length;
        if (OperatingSystem.IsLinux() && !SimulateRefusal)
        {
            int fd = open(path, O_RDWR | O_CLOEXEC | ODirect, 0);
            if (fd >= 0) return new DirectFile(path, new SafeFileHandle(fd, ownsHandle: true), true, length);
            int errno = Marshal.GetLastPInvokeError();
            if (errno != EINVAL) throw new DataException(path, $"cannot open the offload file: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
        SafeFileHandle handle = null!;
        StoreFiles.Guard(path, "cannot open the offload file", () =>
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite));
        return new DirectFile(path, handle, false, length);
    }

    /// <summary>Reads <paramref name="destination"/>.Length bytes starting at byte <paramref name="offset"/>.</summary>
    /// <exception cref="DataException">The read failed or the file is shorter; the message names the path.</exception>
    public void Read(long offset, Span<byte> destination)
    {
        if (!IsDirect || IsAligned(offset, destination))
        {
            ReadExactly(offset, destination);
            return;
        }
        using var bounce = new Bounce(BounceSize(offset, destination.Length));
        foreach (var piece in Pieces(offset, destination.Length, bounce.Size))
        {
            ReadExactly(piece.Start, bounce.Span[..piece.Span]);
            bounce.Span.Slice(piece.Skip, piece.Take).CopyTo(destination.Slice(piece.Done, piece.Take));
        }
    }

    /// <summary>Writes <paramref name="source"/> starting at byte <paramref name="offset"/>; the bytes around an unaligned range are preserved.</summary>
    /// <exception cref="DataException">The write failed (e.g. the disk is full); the message names the path.</exception>
    public void Write(long offset, ReadOnlySpan<byte> source)
    {
        if (!IsDirect || IsAligned(offset, source))
        {
            WriteExactly(offset, source);
            return;
        }
        using var bounce = new Bounce(BounceSize(offset, source.Length));
        foreach (var piece in Pieces(offset, source.Length, bounce.Size))
        {
            if (piece.Skip != 0) ReadExactly(piece.Start, bounce.Span[..Alignment]);                      // head block
            if ((piece.Skip + piece.Take) % Alignment != 0)                                                // tail block
                ReadExactly(piece.Start + piece.Span - Alignment, bounce.Span.Slice(piece.Span - Alignment, Alignment));
            source.Slice(piece.Done, piece.Take).CopyTo(bounce.Span.Slice(piece.Skip, piece.Take));
            WriteExactly(piece.Start, bounce.Span[..piece.Span]);
        }
    }

    /// <summary>
    /// An unaligned range of <paramref name="length"/> bytes at <paramref name="offset"/> cut into bounce-sized pieces: each
    /// moves the aligned span [Start, Start + Span) of the file, of which bytes [Skip, Skip + Take) are the caller's
    /// bytes [Done, Done + Take).
    /// </summary>
    private static IEnumerable<BouncePiece> Pieces(long offset, int length, int bounceBytes)
    {
        for (int done = 0; done < length;)
        {
            long pos = offset + done;
            long start = pos / Alignment * Alignment;
            int skip = (int)(pos - start);
            int take = Math.Min(length - done, bounceBytes - skip);
            yield return new BouncePiece(start, (int)Padded(skip + take), skip, take, done);
            done += take;
        }
    }

    private readonly record struct BouncePiece(long Start, int Span, int Skip, int Take, int Done);

    /// <summary>Bounce bytes for an unaligned call: its aligned span, at most <see cref="BounceBytes"/> (and at least two units, so a piece always advances).</summary>
    private static int BounceSize(long offset, int length) =>
        (int)Math.Clamp(Padded(offset % Alignment + length), 2 * Alignment, BounceBytes);

    /// <summary>An aligned native buffer for unaligned direct I/O, freed on dispose.</summary>
    private readonly struct Bounce(int size) : IDisposable
    {
        private readonly byte* _raw = (byte*)NativeMemory.AlignedAlloc((nuint)size, Alignment);

        public int Size => size;

        public Span<byte> Span => new(_raw, size);

        public void Dispose() => NativeMemory.AlignedFree(_raw);
    }

    /// <summary>Whether a span at file offset <paramref name="offset"/> can go to the drive as it is.</summary>
    public static bool IsAligned(long offset, ReadOnlySpan<byte> span)
    {
        fixed (byte* p = span)
            return offset % Alignment == 0 && span.Length % Alignment == 0 && (nint)p % Alignment == 0;
    }

    private void ReadExactly(long offset, Span<byte> destination)
    {
        var path = Path;
        for (int done = 0; done < destination.Length;)
        {
            int n;
            try { n = RandomAccess.Read(_handle, destination[done..], offset + done); }
            catch (IOException e) { throw new DataException(path, $"cannot read {destination.Length} bytes at {offset}: {e.Message}", e); }
            if (n == 0) throw new DataException(path, $"ends at {offset + done} bytes, expected at least {offset + destination.Length}");
            done += n;
        }
    }

    private void WriteExactly(long offset, ReadOnlySpan<byte> source)
    {
        try { RandomAccess.Write(_handle, source, offset); }
        catch (IOException e) { throw new DataException(Path, $"cannot write {source.Length} bytes at {offset}: {e.Message}", e); }
    }

    /// <summary>Closes the file.</summary>
    public void Dispose() => _handle.Dispose();

    private const int O_RDWR = 2;
    private const int O_CLOEXEC = 0x80000;
    private const int EINVAL = 22;
    private static int ODirect => RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x10000 : 0x4000;

    [DllImport("libc", SetLastError = true, EntryPoint = "open")]
    private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, int mode);
}
