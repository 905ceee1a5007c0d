namespace GiantSharp.Data;

/// <summary>An input file (or folder) that <c>giant prepare</c> did not read, as listed in meta.json's <c>skipped</c>.</summary>
/// <param name="Path">The path as found (in an input folder) or given.</param>
/// <param name="Kind">Why, as a category.</param>
/// <param name="Reason">Why, in words (the byte offset of bad UTF-8, the path it duplicates, ...).</param>
public sealed record SkippedFile(string Path, SkipKind Kind, string Reason)
{
    /// <summary>Whether <c>--strict</c> makes this skip an error: the file is not text (or not a file, or unreadable).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool RefusedWhenStrict => Kind is SkipKind.NotText or SkipKind.NotRegular or SkipKind.Unreadable;

    /// <summary>Counts per kind in words, e.g. <c>3 not UTF-8 text, 2 duplicates</c>.</summary>
    public static string Describe(IEnumerable<SkippedFile> skipped) => string.Join(", ", skipped
        .GroupBy(s => s.Kind).OrderBy(g => g.Key)
        .Select(g => $"{g.Count()} {KindWords(g.Key)}"));

    private static string KindWords(SkipKind kind) => kind switch
    {
        SkipKind.Duplicate => "duplicates (read once)",
        SkipKind.OutputFolder => "output folder",
        SkipKind.NotRegular => "not regular files",
        SkipKind.Unreadable => "unreadable",
        SkipKind.NotText => "not UTF-8 text",
        _ => "without documents",
    };
}
