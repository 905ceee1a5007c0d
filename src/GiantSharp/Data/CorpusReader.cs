using System.Buffers.Binary;
using System.IO.Compression;
using System.Text.Json;
using System.Text.RegularExpressions;
using GiantSharp.Errors;

namespace GiantSharp.Data;

/// <summary>
/// Reads documents from UTF-8 text. A path may be a file or a folder (every file below it, recursively, in ordinal
/// path order; hidden files skipped; each file read once however many paths reach it, see <see cref="InputFiles"/>).
/// A <c>.gz</c> file is decompressed first, and its format judged by the name without <c>.gz</c>. Formats:
/// <list type="bullet">
/// <item><c>text</c>: the whole file is one document.</item>
/// <item><c>jsonl</c>: one JSON object per line, its string field <see cref="CorpusReadOptions.TextField"/> (<c>text</c>) is a document.</item>
/// <item><c>fortune</c>: the Unix fortune format, documents separated by lines that are exactly <c>%</c>;
/// ANSI escape sequences (colors such as <c>ESC[32m</c> ... <c>ESC[m</c>) are stripped.</item>
/// <item><c>auto</c> (or null): <c>jsonl</c> for *.jsonl / *.ndjson files, <c>fortune</c> for a file with a
/// line that is just <c>%</c>, else <c>text</c>; decided per file.</item>
/// </list>
/// Blank (whitespace-only) documents are dropped. Files in a folder that are not UTF-8 text (invalid UTF-8, a NUL byte,
/// a corrupt .gz), not regular, unreadable or without documents are skipped with a warning, and so are bad JSONL lines;
/// <see cref="CorpusReadOptions.Strict"/> makes them errors. A file given by name that is not usable is an error.
/// </summary>
public static partial class CorpusReader
{
    private const int LineWarningsPerFile = 3;

    /// <summary>The accepted format names.</summary>
    public static IReadOnlyList<string> Formats { get; } = ["auto", "text", "jsonl", "fortune"];

    /// <summary>Reads every file of <paramref name="paths"/>.</summary>
    /// <param name="paths">Files or folders, read in this order.</param>
    /// <param name="options">Format, JSONL field, strictness and where warnings go; null for the defaults.</param>
    /// <exception cref="ConfigException">Keys <c>format</c> or <c>text_field</c>.</exception>
    /// <exception cref="DataException">
    /// A path is missing or a folder without files; a file given by name is not usable (names it and why); a folder
    /// yields no documents (names it and what was skipped); under <see cref="CorpusReadOptions.Strict"/>, the first file
    /// in a folder that is not text, or JSONL line that is bad.
    /// </exception>
    public static CorpusText Load(IReadOnlyList<string> paths, CorpusReadOptions? options = null)
    {
        options = (options ?? new CorpusReadOptions()).Checked();
        var listing = InputFiles.List(paths, options.Exclude);
        var skipped = new List<(SkippedFile File, int Input)>();
        foreach (var skip in listing.Skipped) Report(skip, paths, skipped, options);
        var files = new List<(TextFile File, int Input)>();
        foreach (var (path, input) in listing.Files)
        {
            var (file, skip) = ReadFile(path, options);
            if (file is not null) files.Add((file, input));
            else Report((skip!, input), paths, skipped, options);
        }
        for (int i = 0; i < paths.Count; i++)
        {
            var mine = skipped.Where(s => s.Input == i).Select(s => s.File).ToList();
            if (files.Any(f => f.Input == i) || mine.All(s => s.Kind == SkipKind.Duplicate))
                continue;
            throw new DataException(paths[i], $"has no usable text: {SkippedFile.Describe(mine)}");
        }
        return new CorpusText(files.Select(f => f.File).ToList(), skipped.Select(s => s.File).OrderBy(s => s.Path, StringComparer.Ordinal).ToList());
    }

    /// <summary>The documents of one file or folder (see <see cref="Load"/>).</summary>
    /// <param name="path">A file, or a folder read recursively.</param>
    /// <param name="format">One of <see cref="Formats"/>; null means <c>auto</c>.</param>
    /// <exception cref="ConfigException">Key <c>format</c>: an unknown format.</exception>
    /// <exception cref="DataException">The path is missing, or yields no documents.</exception>
    public static IReadOnlyList<string> Read(string path, string? format = null) =>
        Load([path], new CorpusReadOptions { Format = CheckFormat(format) }).Documents;

    /// <summary>Returns the format name, with null as <c>auto</c>.</summary>
    /// <exception cref="ConfigException">Key <c>format</c>: an unknown format.</exception>
    public static string CheckFormat(string? format) => format is null ? "auto"
        : Formats.Contains(format) ? format
        : throw new ConfigException("format", $"unknown format '{format}' ({string.Join(", ", Formats)})");

    /// <summary>The format <c>auto</c> picks for <paramref name="file"/> (its name without <c>.gz</c>) with contents <paramref name="text"/>.</summary>
    public static string DetectFormat(string file, string text)
    {
        string extension = Path.GetExtension(StripGz(file)).ToLowerInvariant();
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

    /// <summary>
    /// The <see cref="CorpusReadOptions.TextField"/> string of each JSON line; blank lines are skipped, and so is a line
    /// that is not JSON or has no such string field, with a warning naming <c>file:line</c> (the first few per file).
    /// </summary>
    /// <param name="text">The JSONL contents.</param>
    /// <param name="file">Named in warnings and errors.</param>
    /// <param name="options">The field, strictness and warnings; null for the defaults.</param>
    /// <param name="skippedLines">How many non-blank lines were skipped.</param>
    /// <exception cref="DataException">Under <see cref="CorpusReadOptions.Strict"/>: the first bad line (names the file and line).</exception>
    public static IReadOnlyList<string> ParseJsonl(string text, string file, CorpusReadOptions? options, out int skippedLines)
    {
        options ??= new CorpusReadOptions();
        var docs = new List<string>();
        string[] lines = text.Split('\n');
        skippedLines = 0;
        for (int i = 0; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i]))
                continue;
            string? doc = null, problem = null;
            try
            {
                using var json = JsonDocument.Parse(lines[i]);
                var root = json.RootElement;
                if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty(options.TextField, out var field) && field.ValueKind == JsonValueKind.String)
                    doc = field.GetString();
                else
                    problem = $"expected a JSON object with a string field \"{options.TextField}\" (--text-field)";
            }
            catch (JsonException e)
            {
                problem = $"invalid JSON ({e.Message.ReplaceLineEndings(" ")})";
            }
            if (problem is not null)
            {
                if (options.Strict) throw new DataException(file, $"line {i + 1}: {problem}");
                if (++skippedLines <= LineWarningsPerFile) options.Warn?.Invoke($"{file}:{i + 1}: {problem}; line skipped");
            }
            else if (!string.IsNullOrWhiteSpace(doc))
                docs.Add(doc);
        }
        if (skippedLines > LineWarningsPerFile)
            options.Warn?.Invoke($"{file}: {skippedLines - LineWarningsPerFile} more bad lines skipped ({skippedLines} in all)");
        return docs;
    }

    /// <summary>
    /// Records a skipped file with a warning; refuses it instead when it was given by name (not found in a folder), and
    /// under --strict when it is not text.
    /// </summary>
    private static void Report((SkippedFile File, int Input) skip, IReadOnlyList<string> paths, List<(SkippedFile File, int Input)> skipped, CorpusReadOptions options)
    {
        var file = skip.File;
        bool named = file.Path == paths[skip.Input] && !Directory.Exists(file.Path);
        if (named && file.Kind != SkipKind.Duplicate)
            throw new DataException(file.Path, file.Reason);
        if (options.Strict && file.RefusedWhenStrict)
            throw new DataException(file.Path, $"{file.Reason} (--strict refuses it; without --strict it would be skipped)");
        if (file.Kind is not (SkipKind.Duplicate or SkipKind.OutputFolder))
            options.Warn?.Invoke($"{file.Path}: {file.Reason}; skipped");
        skipped.Add(skip);
    }

    /// <summary>One file's documents, or why it is skipped.</summary>
    private static (TextFile? File, SkippedFile? Skip) ReadFile(string path, CorpusReadOptions options)
    {
        SkippedFile Skip(SkipKind kind, string reason) => new(path, kind, reason);
        byte[] bytes;
        long size;
        try
        {
            bytes = File.ReadAllBytes(path);                                   // through symlinks, unlike FileInfo.Length
            size = bytes.Length;
            if (StripGz(path) != path) bytes = Gunzip(bytes);
        }
        catch (InvalidDataException e)
        {
            return (null, Skip(SkipKind.NotText, $"not a valid gzip file ({e.Message.ReplaceLineEndings(" ")})"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, Skip(SkipKind.Unreadable, $"cannot be read ({e.Message.ReplaceLineEndings(" ")})"));
        }
        if (bytes.Length == 0)
            return (null, Skip(SkipKind.NoDocuments, "is empty (0 bytes)"));
        if (Utf8Text.TryDecode(bytes, out string? problem) is not { } text)
            return (null, Skip(SkipKind.NotText, $"not UTF-8 text: {problem}"));
        int skippedLines = 0;
        var docs = (options.Format == "auto" ? DetectFormat(path, text) : options.Format) switch
        {
            "jsonl" => ParseJsonl(text, path, options, out skippedLines),
            "fortune" => ParseFortune(text),
            _ => string.IsNullOrWhiteSpace(text) ? [] : [text],
        };
        if (docs.Count > 0)
            return (new TextFile(path, size, docs, skippedLines), null);
        return (null, Skip(SkipKind.NoDocuments, skippedLines > 0
            ? $"has no documents: all {skippedLines} JSONL lines lack a string field \"{options.TextField}\" or are not JSON (--text-field)"
            : "has no documents (only blank text)"));
    }

    /// <summary>
    /// The decompressed contents of a gzip file. GZipStream returns what it has of a truncated file without an error, so
    /// the last member's trailer is checked: its size and CRC-32 must match the tail of the output (RFC 1952).
    /// </summary>
    /// <exception cref="InvalidDataException">Not gzip, or truncated or corrupt.</exception>
    private static byte[] Gunzip(byte[] packed)
    {
        using var text = new MemoryStream();
        using (var gzip = new GZipStream(new MemoryStream(packed), CompressionMode.Decompress))
            gzip.CopyTo(text);
        byte[] bytes = text.ToArray();
        const int Header = 10, Trailer = 8;
        if (packed.Length < Header + Trailer)
            throw new InvalidDataException($"{packed.Length} bytes, shorter than a gzip header and trailer");
        uint crc = BinaryPrimitives.ReadUInt32LittleEndian(packed.AsSpan(packed.Length - 8));
        uint size = BinaryPrimitives.ReadUInt32LittleEndian(packed.AsSpan(packed.Length - 4));
        if (size > bytes.Length || System.IO.Hashing.Crc32.HashToUInt32(bytes.AsSpan(bytes.Length - (int)size)) != crc)
            throw new InvalidDataException("truncated or corrupt: the size and CRC-32 in its trailer do not match its contents");
        return bytes;
    }

    private static string StripGz(string path) => path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? path[..^3] : path;

    [GeneratedRegex(@"^%\r?(?:\n|$)", RegexOptions.Multiline)]
    private static partial Regex FortuneSeparator();

    [GeneratedRegex(@"\u001b\[[0-?]*[ -/]*[@-~]")]
    private static partial Regex AnsiEscape();
}
