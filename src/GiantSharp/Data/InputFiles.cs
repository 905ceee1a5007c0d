using GiantSharp.Errors;

namespace GiantSharp.Data;

/// <summary>
/// The files a list of inputs stands for: a file itself, a folder every non-hidden file below it (in ordinal path
/// order per input). Every file and folder is read once: paths that reach the same one (symlinks, hard links, a path
/// given twice, a symlink loop) are skipped as <see cref="SkipKind.Duplicate"/>, keeping a path that is not itself a
/// symlink where there is one (GPL-3 rather than GPL -> GPL-3). Symlinked folders are followed, each folder once.
/// FIFOs, sockets, devices and broken symlinks are skipped as <see cref="SkipKind.NotRegular"/>.
/// </summary>
internal static class InputFiles
{
    /// <summary>What <see cref="List"/> found.</summary>
    /// <param name="Files">The files to read, in order, each with the index of the input it came from.</param>
    /// <param name="Skipped">What is not read, with the index of the input it came from.</param>
    public sealed record Listing(IReadOnlyList<(string Path, int Input)> Files, IReadOnlyList<(SkippedFile File, int Input)> Skipped);

    /// <summary>Lists the files of <paramref name="inputs"/>.</summary>
    /// <param name="inputs">Files or folders.</param>
    /// <param name="exclude">Folders not to read (the prepare's own output folder), reported as <see cref="SkipKind.OutputFolder"/>.</param>
    /// <exception cref="DataException">An input does not exist, or is a folder with no files.</exception>
    public static Listing List(IReadOnlyList<string> inputs, IEnumerable<string> exclude)
    {
        var excluded = exclude.Select(dir => FileStat.Identity(dir, out _)).OfType<string>().ToHashSet();
        var folders = new Dictionary<string, string>();
        var candidates = new List<(string Path, int Input)>();
        var skipped = new List<(SkippedFile File, int Input)>();
        for (int i = 0; i < inputs.Count; i++)
        {
            string input = inputs[i];
            if (Directory.Exists(input))
            {
                int before = skipped.Count;
                var found = Walk(input, folders, excluded, skipped, i);
                if (found.Count == 0 && skipped.Count == before)
                    throw new DataException(input, "is a folder with no files (hidden files are not read)");
                candidates.AddRange(found.Order(StringComparer.Ordinal).Select(f => (f, i)));
            }
            else if (File.Exists(input) || new FileInfo(input).LinkTarget is not null)
                candidates.Add((input, i));
            else
                throw new DataException(input, "does not exist");
        }
        return new Listing(Deduplicate(candidates, skipped), skipped);
    }

    /// <summary>The candidates that are regular files, each file once; the rest go to <paramref name="skipped"/>.</summary>
    private static List<(string Path, int Input)> Deduplicate(List<(string Path, int Input)> candidates, List<(SkippedFile File, int Input)> skipped)
    {
        var identities = candidates.Select(c => FileStat.Identity(c.Path, out bool regular) is { } id ? (Id: id, Regular: regular) : ((string Id, bool Regular)?)null).ToList();
        var keeper = new Dictionary<string, int>();
        for (int c = 0; c < candidates.Count; c++)
        {
            if (identities[c] is not { } id) continue;
            if (!keeper.TryGetValue(id.Id, out int kept) || (IsSymlink(candidates[kept].Path) && !IsSymlink(candidates[c].Path)))
                keeper[id.Id] = c;
        }
        var files = new List<(string Path, int Input)>();
        for (int c = 0; c < candidates.Count; c++)
        {
            var (path, input) = candidates[c];
            if (identities[c] is not { } id)
                skipped.Add((new SkippedFile(path, SkipKind.NotRegular, "cannot be opened (a broken symlink?)"), input));
            else if (!id.Regular)
                skipped.Add((new SkippedFile(path, SkipKind.NotRegular, "not a regular file (a FIFO, socket or device)"), input));
            else if (keeper[id.Id] != c)
                skipped.Add((new SkippedFile(path, SkipKind.Duplicate, $"same file as {candidates[keeper[id.Id]].Path} (read once)"), input));
            else
                files.Add((path, input));
        }
        return files;
    }

    /// <summary>
    /// The files below <paramref name="root"/>: real subfolders first, depth first; then the symlinked folders found,
    /// in ordinal order, each unless a folder with its identity was walked already (so a symlink loop ends).
    /// </summary>
    private static List<string> Walk(string root, Dictionary<string, string> folders, HashSet<string> excluded, List<(SkippedFile File, int Input)> skipped, int input)
    {
        var files = new List<string>();
        var links = new List<string>();
        void Visit(string dir)
        {
            string? id = FileStat.Identity(dir, out _);
            if (id is null)
            {
                skipped.Add((new SkippedFile(dir, SkipKind.Unreadable, "folder cannot be opened"), input));
                return;
            }
            if (excluded.Contains(id))
            {
                skipped.Add((new SkippedFile(dir, SkipKind.OutputFolder, "the output folder (--out) is not read"), input));
                return;
            }
            if (folders.TryGetValue(id, out string? first))
            {
                skipped.Add((new SkippedFile(dir, SkipKind.Duplicate, $"same folder as {first} (read once)"), input));
                return;
            }
            folders[id] = dir;
            List<string> entries;
            try
            {
                entries = Directory.EnumerateFileSystemEntries(dir, "*", new EnumerationOptions { IgnoreInaccessible = false })
                    .Order(StringComparer.Ordinal).ToList();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                skipped.Add((new SkippedFile(dir, SkipKind.Unreadable, $"folder cannot be listed: {e.Message}"), input));
                return;
            }
            foreach (string entry in entries)
            {
                if (!Directory.Exists(entry)) files.Add(entry);
                else if (IsSymlink(entry)) links.Add(entry);
                else Visit(entry);
            }
        }
        Visit(root);
        while (links.Count > 0)
        {
            var batch = links.Order(StringComparer.Ordinal).ToList();
            links.Clear();
            foreach (string link in batch) Visit(link);
        }
        return files;
    }

    private static bool IsSymlink(string path) => new FileInfo(path).LinkTarget is not null;
}
