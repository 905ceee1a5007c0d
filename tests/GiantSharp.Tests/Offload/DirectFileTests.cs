using System.Runtime.InteropServices;
using GiantSharp.Offload.Storage;

namespace GiantSharp.Tests.Offload;

/// <summary>The disk tier's file: direct I/O round trips bit-exactly at any offset and length, bypasses the page cache, and falls back to buffered I/O where refused.</summary>
public class DirectFileTests
{
    private static byte[] Random(int n, int seed)
    {
        var bytes = new byte[n];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    [Fact]
    public void Aligned_and_unaligned_ranges_round_trip_bit_exactly_and_leave_their_neighbours()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "g.f32");
        using var file = DirectFile.Create(path, 3 * 4096 + 100);
        Assert.True(file.IsDirect);
        Assert.Equal(4 * 4096, file.Length);                                 // padded to whole 4096-byte units
        var expected = Random(4 * 4096, 1);
        file.Write(0, expected);                                             // aligned: straight from the buffer
        foreach (var (offset, length, seed) in new[] { (1, 10, 2), (4090, 20, 3), (5000, 7000, 4), (4096, 4096, 5), (0, 16384, 6), (16383, 1, 7) })
        {
            var piece = Random(length, seed);
            file.Write(offset, piece);
            piece.CopyTo(expected, offset);
            var back = new byte[length];
            file.Read(offset, back);
            Assert.Equal(piece, back);
        }
        var whole = new byte[expected.Length];
        file.Read(0, whole);
        Assert.Equal(expected, whole);
        Assert.Equal(expected, File.ReadAllBytes(path));                    // what a plain reader sees is what was written
    }

    [Fact]
    public void Direct_writes_and_reads_leave_nothing_in_the_page_cache()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "g.f32");
        const int bytes = 8 << 20;
        using (var file = DirectFile.Create(path, bytes))
        {
            Assert.True(file.IsDirect);
            var data = Random(bytes, 9);
            file.Write(0, data);
            var back = new byte[bytes];
            file.Read(0, back);
            Assert.Equal(data, back);
        }
        Assert.Equal(0, CachedPages(path));
        File.ReadAllBytes(path);                                             // a buffered read, for contrast, fills the cache
        Assert.Equal(bytes / Environment.SystemPageSize, CachedPages(path));
    }

    [Fact]
    public void Where_direct_io_is_refused_the_file_falls_back_to_buffered_io_and_still_round_trips()
    {
        using var dir = new TempDir();
        DirectFile.SimulateRefusal = true;
        try
        {
            using var file = DirectFile.Create(Path.Combine(dir.Path, "g.f32"), 5000);
            Assert.False(file.IsDirect);
            var piece = Random(777, 11);
            file.Write(123, piece);
            var back = new byte[777];
            file.Read(123, back);
            Assert.Equal(piece, back);
        }
        finally
        {
            DirectFile.SimulateRefusal = false;
        }
    }

    /// <summary>Pages of <paramref name="path"/> in the page cache (mincore over a fresh read-only mapping).</summary>
    private static unsafe int CachedPages(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read);
        long length = fs.Length;
        nint addr = mmap(0, (nuint)length, 1 /* PROT_READ */, 1 /* MAP_SHARED */, (int)fs.SafeFileHandle.DangerousGetHandle(), 0);
        Assert.NotEqual(-1, (long)addr);
        try
        {
            int pages = (int)((length + Environment.SystemPageSize - 1) / Environment.SystemPageSize);
            var vec = new byte[pages];
            fixed (byte* v = vec) Assert.Equal(0, mincore(addr, (nuint)length, v));
            return vec.Count(b => (b & 1) != 0);
        }
        finally
        {
            munmap(addr, (nuint)length);
        }
    }

    [DllImport("libc")] private static extern nint mmap(nint addr, nuint length, int prot, int flags, int fd, long offset);
    [DllImport("libc")] private static extern int munmap(nint addr, nuint length);
    [DllImport("libc")] private static extern unsafe int mincore(nint addr, nuint length, byte* vec);
}
