using System.Runtime.InteropServices;

namespace GiantSharp.Data;

/// <summary>
/// Whether a path is a regular file (after symlinks): a FIFO, socket or device in an input folder would block a read
/// forever or yield endless bytes, so corpus folders read only regular files. Uses stat(2) on Linux x64 (the only
/// platform GiantSharp's libtorch ships for); elsewhere every file counts as regular.
/// </summary>
internal static partial class RegularFile
{
    private const int StatBytes = 256, ModeOffset = 24;                       // struct stat on x86_64 glibc: st_mode after st_dev, st_ino, st_nlink
    private const uint TypeMask = 0xF000, Regular = 0x8000;

    /// <summary>True for a regular file; false for a FIFO, socket, device or a path stat cannot read.</summary>
    public static unsafe bool Is(string path)
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return true;
        byte* buffer = stackalloc byte[StatBytes];
        try
        {
            if (Stat(path, buffer) != 0) return false;
        }
        catch (EntryPointNotFoundException) { return true; }
        return (*(uint*)(buffer + ModeOffset) & TypeMask) == Regular;
    }

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Stat(string path, byte* buffer);
}
