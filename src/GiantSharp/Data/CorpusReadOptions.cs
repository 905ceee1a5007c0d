using GiantSharp.Errors;

namespace GiantSharp.Data;

/// <summary>How <see cref="CorpusReader"/> reads text inputs, and what it does with input that is not text.</summary>
public sealed record CorpusReadOptions
{
    /// <summary><c>auto</c>, <c>text</c>, <c>jsonl</c> or <c>fortune</c> (<see cref="CorpusReader.Formats"/>).</summary>
    public string Format { get; init; } = "auto";

    /// <summary>The string field of a JSONL object that holds the document (<c>--text-field</c>).</summary>
    public string TextField { get; init; } = "text";

    /// <summary>
    /// Refuse instead of skip: a file that is not UTF-8 text (or not a regular file, or unreadable) and a bad JSONL line
    /// are errors (<see cref="DataException"/>) rather than warnings.
    /// </summary>
    public bool Strict { get; init; }

    /// <summary>Folders not to read though inside an input folder (the prepare's own output folder).</summary>
    public IReadOnlyList<string> Exclude { get; init; } = [];

    /// <summary>Receives one line per file skipped because it is not text, and per bad JSONL line (without a "warning:" prefix).</summary>
    public Action<string>? Warn { get; init; }

    /// <summary>Returns these options after checking them.</summary>
    /// <exception cref="ConfigException">Keys <c>format</c> (unknown) or <c>text_field</c> (empty).</exception>
    public CorpusReadOptions Checked()
    {
        CorpusReader.CheckFormat(Format);
        if (string.IsNullOrEmpty(TextField))
            throw new ConfigException("text_field", "must name a JSONL field, got an empty name");
        return this;
    }
}
