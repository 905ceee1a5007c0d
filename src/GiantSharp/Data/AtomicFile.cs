namespace GiantSharp.Data;

/// <summary>
/// Writes a file under a temporary name in the same folder, then renames it over the target, so a reader
/// never sees a half-written file and a crash leaves the old file (or none).
/// </summary>
internal static class AtomicFile
{
    /// <summary>Creates <paramref name="path"/> through <paramref name="write"/>, which gets a stream on the temporary file.</summary>
    public static void Write(string path, Action<FileStream> write)
    {
        string temp = $"{path}.tmp-{Guid.NewGuid():N}";
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
                File.Delete(temp);
        }
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 without a BOM.</summary>
    public static void WriteAllText(string path, string text) =>
        Write(path, stream => stream.Write(new System.Text.UTF8Encoding(false).GetBytes(text)));
}
