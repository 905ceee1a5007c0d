using System.Text.Json;
using System.Text.RegularExpressions;
using GiantSharp.Errors;

namespace GiantSharp.Data;

/// <summary>
/// Reads documents from UTF-8 text. A path may be a file or a folder (every file below it, recursively,
/// in ordinal path order; hidden files skipped). Formats:
/// <list type="bullet">
/// <item><c>text</c>: the whole file is one document.</item>
/// <item><c>jsonl</c>: one JSON object per line, its string field <c>text</c> is a document.</item>
/// <item><c>fortune</c>: the Unix fortune format, documents separated by lines that are exactly <c>%</c>;
/// ANSI escape sequences (colors such as <c>ESC[32m</c> ... <c>ESC[m</c>) are stripped.</item>
/// <item><c>auto</c> (or null): <c>jsonl</c> for *.jsonl / *.ndjson files, <c>fortune</c> for a file with a
/// line that is just <c>%</c>, else <c>text</c>; decided per file.</item>
/// </list>
/// Blank (whitespace-only) documents are dropped.
/// </summary>
public static partial class CorpusReader
{
    /// <summary>The accepted format names.</summary>
    public static IReadOnlyList<string> Formats { get; } = ["auto", "text", "jsonl", "fortune"];

    /// <summary>The documents of every path in <paramref name="paths"/>, in order.</summary>
    /// <param name="paths">Files or folders.</param>
    /// <param name="format">One of <see cref="Formats"/>; null means <c>auto</c>.</param>
    /// <exception cref="ConfigException">Key <c>format</c>: an unknown format.</exception>
    /// <exception cref="DataException">A path is missing, a file is empty, not UTF-8, bad JSONL, or a path yields no documents.</exception>
    /// <param name="skipped">Receives the files of a folder that are not regular files (FIFOs, sockets, devices), which are not read.</param>
    public static IReadOnlyList<string> ReadAll(IEnumerable<string> paths, string? format = null, ICollection<string>? skipped = null)
    {
        var docs = new List<string>();
        foreach (string path in paths)
            docs.AddRange(Read(path, format, skipped));
        return docs;
    }

    /// <summary>The documents of one file or folder.</summary>
    /// <param name="path">A file, or a folder read recursively.</param>
    /// <param name="format">One of <see cref="Formats"/>; null means <c>auto</c>.</param>
    /// <exception cref="ConfigException">Key <c>format</c>: an unknown format.</exception>
    /// <exception cref="DataException">The path is missing, a file is empty, not UTF-8 or bad JSONL, or the path yields no documents.</exception>
    /// <param name="skipped">Receives the files of a folder that are not regular files, which are not read.</param>
    public static IReadOnlyList<string> Read(string path, string? format = null, ICollection<string>? skipped = null)
    {
        format = CheckFormat(format);
        var docs = new List<string>();
        foreach (string file in ListFiles(path, skipped))
            docs.AddRange(ReadFile(file, format));
        if (docs.Count == 0)
            throw new DataException(path, "has no documents (only blank text)");
        return docs;
    }

    /// <summary>The files <paramref name="path"/> stands for: itself, or every non-hidden file below the folder in ordinal order.</summary>
    /// <exception cref="DataException">The path does not exist, or the folder has no files.</exception>
    /// <param name="path">A file or folder.</param>
    /// <param name="skipped">Receives the folder's entries that are not regular files (FIFOs, sockets, devices): they are left out, since reading one may block forever.</param>
    /// <exception cref="DataException">The path does not exist, is itself not a regular file, or the folder has no files.</exception>
    public static IReadOnlyList<string> ListFiles(string path, ICollection<string>? skipped = null)
    {
        if (File.Exists(path))
            return RegularFile.Is(path) ? [path] : throw new DataException(path, "is not a regular file (a FIFO, socket or device); give a file or folder of text");
        if (!Directory.Exists(path))
            throw new DataException(path, "does not exist");
        var files = new List<string>();
        foreach (var file in Directory.EnumerateFiles(path, "*", new EnumerationOptions { RecurseSubdirectories = true }).Order(StringComparer.Ordinal))
        {
            if (RegularFile.Is(file)) files.Add(file);
            else skipped?.Add(file);
        }
        if (files.Count == 0)
            throw new DataException(path, "is a folder with no files");
        return files;
    }

    /// <summary>Returns the format name, with null as <c>auto</c>.</summary>
    /// <exception cref="ConfigException">Key <c>format</c>: an unknown format.</exception>
    public static string CheckFormat(string? format) => format is null ? "auto"
        : Formats.Contains(format) ? format
        : throw new ConfigException("format", $"unknown format '{format}' ({string.Join(", ", Formats)})");

    /// <summary>The format <c>auto</c> picks for <paramref name="file"/> with contents <paramref name="text"/>.</summary>
    public static string DetectFormat(string file, string text)
    {
        string extension = Path.GetExtension(file).ToLowerInvariant();
        if (extension is ".jsonl" or ".ndjson")
            return "jsonl";
        return FortuneSeparator().IsMatch(text) ? "fortune" : "text";
    }

    /// <summary>Splits fortune-format text on lines that are exactly <c>%</c> and strips ANSI escapes; blank entries are dropped.</summary>
    public static IReadOnlyList<string> ParseFortune(string text) =>
        FortuneSeparator().Split(StripAnsi(text).ReplaceLineEndings("\n"))
            .Select(entry => entry.Trim('\n'))
            .Where(entry => !string.IsNullOrWhiteSpace(entry))
            .ToList();

    /// <summary><paramref name="text"/> without ANSI CSI escape sequences such as <c>ESC[32m</c> and <c>ESC[m</c>.</summary>
    public static string StripAnsi(string text) => text.Contains('\u001b') ? AnsiEscape().Replace(text, "") : text;

    /// <summary>The <c>text</c> field of each JSON line; blank lines are skipped.</summary>
    /// <param name="text">The JSONL contents.</param>
    /// <param name="file">Named in errors.</param>
    /// <exception cref="DataException">A line is not a JSON object with a string field <c>text</c> (names the line).</exception>
    public static IReadOnlyList<string> ParseJsonl(string text, string file)
    {
        var docs = new List<string>();
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i]))
                continue;
            string? doc;
            try
            {
                using var json = JsonDocument.Parse(lines[i]);
                var root = json.RootElement;
                doc = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("text", out var field) && field.ValueKind == JsonValueKind.String
                    ? field.GetString()
                    : null;
            }
            catch (JsonException e)
            {
                throw new DataException(file, $"line {i + 1}: invalid JSON ({e.Message.ReplaceLineEndings(" ")})", e);
            }
            if (doc is null)
                throw new DataException(file, $"line {i + 1}: expected a JSON object with a string field \"text\"");
            if (!string.IsNullOrWhiteSpace(doc))
                docs.Add(doc);
        }
        return docs;
    }

    private static IReadOnlyList<string> ReadFile(string file, string format)
    {
        byte[] bytes = File.ReadAllBytes(file);
        if (bytes.Length == 0)
            throw new DataException(file, "is empty (0 bytes)");
        string text = Utf8Text.DecodeStrict(bytes, file);
        return (format == "auto" ? DetectFormat(file, text) : format) switch
        {
            "jsonl" => ParseJsonl(text, file),
            "fortune" => ParseFortune(text),
            _ => string.IsNullOrWhiteSpace(text) ? [] : [text],
        };
    }

    [GeneratedRegex(@"^%\r?(?:\n|$)", RegexOptions.Multiline)]
    private static partial Regex FortuneSeparator();

    [GeneratedRegex(@"\u001b\[[0-?]*[ -/]*[@-~]")]
    private static partial Regex AnsiEscape();
}
