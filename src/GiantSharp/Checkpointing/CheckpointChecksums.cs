using GiantSharp.Errors;
using GiantSharp.Integrity;

namespace GiantSharp.Checkpointing;

/// <summary>
/// XxHash3 checksums of every file of a checkpoint but state.json (weights, optimizer moments, the offload part's
/// store files and index), recorded in state.json at save and verified before a resume, eval or generate reads any
/// of them: overwritten bytes are refused naming the file instead of loading silently.
/// </summary>
internal static class CheckpointChecksums
{
    /// <summary>Checksums of the files under <paramref name="dir"/> (recursively), keyed by path relative to it with '/' separators; <paramref name="except"/> is left out.</summary>
    public static Dictionary<string, string> Of(string dir, string except) =>
        Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(dir, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(rel => rel != except)
            .Order(StringComparer.Ordinal)
            .ToDictionary(rel => rel, rel => FileChecksum.Of(Path.Combine(dir, rel)), StringComparer.Ordinal);

    /// <summary>Checks every file <paramref name="recorded"/> names under <paramref name="dir"/> (nothing for a checkpoint saved before checksums).</summary>
    /// <exception cref="DataException">A file is missing or its bytes differ; the message names it.</exception>
    public static void Verify(string dir, IReadOnlyDictionary<string, string> recorded)
    {
        foreach (var (rel, sum) in recorded)
        {
            if (rel.Contains("..", StringComparison.Ordinal) || Path.IsPathRooted(rel))
                throw new DataException(Path.Combine(dir, "state.json"), $"'checksums' names '{rel}', outside the checkpoint");
            var file = Path.Combine(dir, rel);
            if (!File.Exists(file)) throw new DataException(file, "checkpoint part missing (state.json records its checksum)");
            FileChecksum.Verify(file, sum);
        }
    }
}
