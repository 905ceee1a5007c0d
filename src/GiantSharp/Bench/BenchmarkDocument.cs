namespace GiantSharp.Bench;

/// <summary>
/// Keeps a Markdown file of benchmark results (docs/benchmarks.md) as level-2 sections, one per benchmark:
/// writing a section replaces the one of the same title, or appends it, and leaves the others untouched.
/// </summary>
public static class BenchmarkDocument
{
    /// <summary>The title a new file starts with.</summary>
    public const string FileTitle = "# Benchmarks";

    /// <summary>Replaces (or appends) the section <c>## {title}</c> of the file at <paramref name="path"/> with <paramref name="body"/>.</summary>
    /// <param name="path">The Markdown file; created with its folder when missing.</param>
    /// <param name="title">Section heading without the leading <c>## </c>.</param>
    /// <param name="body">Section text (Markdown), without the heading.</param>
    /// <exception cref="IOException">The file cannot be read or written.</exception>
    public static void WriteSection(string path, string title, string body)
    {
        var text = File.Exists(path) ? File.ReadAllText(path) : FileTitle + "\n";
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        File.WriteAllText(path, ReplaceSection(text, title, body));
    }

    /// <summary>
    /// <paramref name="document"/> with the section <c>## {title}</c> (from its heading to the next level-1 or
    /// level-2 heading) replaced by the new one, or with the new one appended when there is none.
    /// </summary>
    public static string ReplaceSection(string document, string title, string body)
    {
        var lines = document.Replace("\r\n", "\n").TrimEnd('\n').Split('\n').ToList();
        var section = new List<string> { $"## {title}", "" };
        section.AddRange(body.Replace("\r\n", "\n").Trim('\n').Split('\n'));
        int start = lines.FindIndex(l => l.TrimEnd() == $"## {title}");
        if (start < 0)
        {
            lines.Add("");
            lines.AddRange(section);
        }
        else
        {
            int end = lines.FindIndex(start + 1, IsTopHeading);
            if (end < 0) end = lines.Count;
            else section.Add("");
            lines.RemoveRange(start, end - start);
            lines.InsertRange(start, section);
        }
        return string.Join('\n', lines) + "\n";
    }

    /// <summary>The body of section <c>## {title}</c> of <paramref name="document"/> (without its heading, trimmed), or null when there is none.</summary>
    public static string? ReadSection(string document, string title)
    {
        var lines = document.Replace("\r\n", "\n").Split('\n').ToList();
        int start = lines.FindIndex(l => l.TrimEnd() == $"## {title}");
        if (start < 0) return null;
        int end = lines.FindIndex(start + 1, IsTopHeading);
        if (end < 0) end = lines.Count;
        return string.Join('\n', lines.Skip(start + 1).Take(end - start - 1)).Trim('\n');
    }

    /// <summary>
    /// The <c>### </c> subsections of a section body, in order: each title (without <c>### </c>) and its text
    /// from the heading line to the next subsection (heading included, trimmed).
    /// </summary>
    public static IReadOnlyList<(string Title, string Text)> Subsections(string sectionBody)
    {
        var result = new List<(string, string)>();
        var lines = sectionBody.Replace("\r\n", "\n").Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            if (!lines[i].StartsWith("### ", StringComparison.Ordinal)) continue;
            int end = Array.FindIndex(lines, i + 1, l => l.StartsWith("### ", StringComparison.Ordinal));
            if (end < 0) end = lines.Length;
            result.Add((lines[i][4..].Trim(), string.Join('\n', lines[i..end]).Trim('\n')));
        }
        return result;
    }

    private static bool IsTopHeading(string line) => line.StartsWith("# ", StringComparison.Ordinal) || line.StartsWith("## ", StringComparison.Ordinal);
}
