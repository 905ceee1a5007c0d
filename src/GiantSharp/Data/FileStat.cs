using System.Runtime.InteropServices;

namespace GiantSharp.Data;

/// <summary>
/// What stat(2) says about a path, after symlinks: whether it is a regular file (a FIFO, socket or device in an input
/// folder would block a read forever or yield endless bytes, so corpus folders read only regular files), and its
/// identity (device and inode), the same for every path that reaches the same file (symlinks, hard links, a path given
/// twice). Uses stat(2) on Linux x64 (the only platform GiantSharp's libtorch ships for); elsewhere every existing file
/// counts as regular and the identity is the full path with its last symlink resolved.
/// </summary>
internal static partial class FileStat
{
    private const int StatBytes = 256, InodeOffset = 8, ModeOffset = 24;     // struct stat on x86_64 glibc: st_dev, st_ino, st_nlink, st_mode
    private const uint TypeMask = 0xF000, Regular = 0x8000;

    /// <summary>True for a regular file; false for a FIFO, socket, device or a path stat cannot read (a broken symlink).</summary>
    public static bool IsRegular(string path) => Identity(path, out bool regular) is not null && regular;

    /// <summary>
    /// The identity of the file or folder <paramref name="path"/> reaches (<c>device:inode</c> on Linux), or null when
    /// stat cannot read it (missing, a broken symlink, no permission on a parent folder).
    /// </summary>
    /// <param name="path">A file or folder.</param>
    /// <param name="regular">Whether it is a regular file.</param>
    public static unsafe string? Identity(string path, out bool regular)
    {
        regular = false;
        if (OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64)
        {
            byte* buffer = stackalloc byte[StatBytes];
            try
            {
                if (Stat(path, buffer) != 0) return null;
                regular = (*(uint*)(buffer + ModeOffset) & TypeMask) == Regular;
                return $"{*(ulong*)buffer}:{*(ulong*)(buffer + InodeOffset)}";
            }
            catch (EntryPointNotFoundException) { }
        }
        FileSystemInfo info = Directory.Exists(path) ? new DirectoryInfo(path) : new FileInfo(path);
        if (!info.Exists) return null;
        regular = info is FileInfo;
        return Path.GetFullPath((info.ResolveLinkTarget(returnFinalTarget: true) ?? info).FullName);
    }

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Stat(string path, byte* buffer);
}
