using System.Diagnostics;
using GiantSharp.Offload.Storage;

namespace GiantSharp.Offload;

/// <summary>
/// The folder of one run's disk-tier files under <c>offload.dir</c>: <c>NAME-GUID</c>, holding an
/// <see cref="OwnerFile"/> with the owning process id. A run that ends, even by an exception, deletes its folder; a
/// killed one cannot, so claiming a folder also deletes the folders of earlier runs of the same name whose owner
/// process is gone.
/// </summary>
internal sealed class RunStoreFolder : IDisposable
{
    /// <summary>File naming the owning process id.</summary>
    public const string OwnerFile = "owner.pid";
    private readonly string _parent;
    private readonly string _runName;
    private bool _claimed;

    /// <summary>A folder for run <paramref name="runName"/> under <paramref name="parent"/> (created on <see cref="Claim"/>).</summary>
    public RunStoreFolder(string parent, string runName)
    {
        _parent = System.IO.Path.GetFullPath(parent);
        _runName = runName;
        Path = System.IO.Path.Combine(_parent, $"{runName}-{Guid.NewGuid():N}");
    }

    /// <summary>The folder.</summary>
    public string Path { get; }

    /// <summary>Creates the folder with its owner file (once), and deletes stale folders of the same run name.</summary>
    /// <exception cref="Errors.DataException">The folder cannot be created or written.</exception>
    public void Claim()
    {
        if (_claimed) return;
        if (File.Exists(_parent)) throw new Errors.DataException(_parent, "offload.dir names a file, not a directory");
        StoreFiles.EnsureWritableDirectory(_parent);
        StoreFiles.EnsureWritableDirectory(Path);
        StoreFiles.Guard(Path, "cannot write its owner file", () => File.WriteAllText(System.IO.Path.Combine(Path, OwnerFile), Environment.ProcessId.ToString()));
        _claimed = true;
        foreach (var dir in Directory.GetDirectories(_parent, _runName + "-*"))
            if (dir != Path && IsStale(dir)) TryDelete(dir);
    }

    /// <summary>Whether <paramref name="dir"/> is a run folder (32 hex digits after the name) whose owner process is gone.</summary>
    private bool IsStale(string dir)
    {
        var suffix = System.IO.Path.GetFileName(dir)[(_runName.Length + 1)..];
        var owner = System.IO.Path.Combine(dir, OwnerFile);
        if (suffix.Length != 32 || !suffix.All(char.IsAsciiHexDigitLower) || !File.Exists(owner)) return false;
        if (!int.TryParse(File.ReadAllText(owner).Trim(), out var pid)) return false;
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.HasExited;
        }
        catch (ArgumentException) { return true; }
        catch (InvalidOperationException) { return true; }
    }

    private static void TryDelete(string dir)
    {
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>Deletes the folder and everything in it.</summary>
    public void Dispose()
    {
        if (Directory.Exists(Path)) TryDelete(Path);
    }
}
