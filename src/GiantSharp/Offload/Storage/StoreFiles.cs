using System.Runtime.InteropServices;
using GiantSharp.Errors;
using static TorchSharp.torch;

namespace GiantSharp.Offload.Storage;

/// <summary>
/// File mechanics of store snapshots: writable-folder probes, raw fp32 files, atomic folder replacement. Every I/O failure becomes a <see cref="DataException"/> naming the path.
/// </summary>
internal static class StoreFiles
{
    private const long ChunkElements = 1L << 28; // 1 GiB of fp32: spans are limited to 2^31 bytes

    /// <summary>Creates <paramref name="dir"/> if needed and proves it writable by creating and deleting a probe file.</summary>
    public static void EnsureWritableDirectory(string dir)
    {
        var probe = Path.Combine(dir, $".probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Guard(dir, "is not a writable directory", () =>
        {
            Directory.CreateDirectory(dir);
            File.WriteAllBytes(probe, [0]);
            File.Delete(probe);
        });
    }

    /// <summary>Deletes <paramref name="path"/> if it exists; failures are ignored (the store is going away).</summary>
    public static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>Writes a CPU fp32 tensor's raw bytes to <paramref name="path"/> (created or truncated) and flushes it to the disk.</summary>
    public static void WriteRaw(string path, Tensor flat) => Guard(path, "cannot write", () =>
    {
        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        for (long off = 0; off < flat.numel(); off += ChunkElements)
        {
            using var chunk = flat.narrow(0, off, Math.Min(ChunkElements, flat.numel() - off));
            fs.Write(chunk.bytes);
        }
        fs.Flush(flushToDisk: true);
    });

    /// <summary>Copies a contiguous CPU tensor into another of the same size on this thread (plain memcpy, no libtorch thread pool).</summary>
    public static void CopyCpu(Tensor src, Tensor dst)
    {
        for (long off = 0; off < src.numel(); off += ChunkElements)
        {
            long n = Math.Min(ChunkElements, src.numel() - off);
            using var s = src.narrow(0, off, n);
            using var d = dst.narrow(0, off, n);
            s.bytes.CopyTo(d.bytes);
        }
    }

    /// <summary>
    /// Builds a folder atomically: <paramref name="write"/> fills a temporary sibling, which then replaces
    /// <paramref name="folder"/> by renames; a crash leaves either the old folder or the new one, never a mix.
    /// </summary>
    public static void WriteFolderAtomically(string folder, Action<string> write)
    {
        folder = Path.GetFullPath(folder);
        var parent = Path.GetDirectoryName(folder)!;
        var tmp = $"{folder}.partial-{Guid.NewGuid():N}";
        var old = $"{folder}.old-{Guid.NewGuid():N}";
        Guard(parent, "cannot create a folder here", () => Directory.CreateDirectory(tmp));
        try
        {
            write(tmp);
            Guard(folder, "cannot replace", () =>
            {
                if (Directory.Exists(folder)) Directory.Move(folder, old);
                Directory.Move(tmp, folder);
            });
        }
        catch
        {
            try { Directory.Delete(tmp, recursive: true); } catch (IOException) { }
            throw;
        }
        try { if (Directory.Exists(old)) Directory.Delete(old, recursive: true); } catch (IOException) { }
    }

    /// <summary>Runs <paramref name="body"/>, turning I/O failures into one-line <see cref="DataException"/>s naming <paramref name="path"/>.</summary>
    public static void Guard(string path, string what, Action body)
    {
        try { body(); }
        catch (IOException e) { throw new DataException(path, $"{what}: {FirstLine(e)}", e); }
        catch (UnauthorizedAccessException e) { throw new DataException(path, $"{what}: permission denied", e); }
    }

    private static string FirstLine(Exception e) => e.Message.Split('\n')[0].Trim();
}
