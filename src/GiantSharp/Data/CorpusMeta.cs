using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using GiantSharp.Errors;

namespace GiantSharp.Data;

/// <summary>
/// meta.json of a prepared corpus (snake_case keys): the tokenizer, the token dtype of the shards, the
/// train/val splits and where the text came from.
/// </summary>
public sealed record CorpusMeta
{
    /// <summary>The meta.json layout version this code writes and reads.</summary>
    public const int CurrentFormatVersion = 1;

    private static readonly JsonSerializerOptions _json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // keep Chinese vocab readable
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>Layout version, <see cref="CurrentFormatVersion"/>.</summary>
    public int FormatVersion { get; init; } = CurrentFormatVersion;

    /// <summary>The tokenizer the shards were written with.</summary>
    public required TokenizerSpec Tokenizer { get; init; }

    /// <summary>Token element type in the shards, little-endian: <c>uint16</c> (V &lt;= 65536) or <c>uint32</c>.</summary>
    public required string Dtype { get; init; }

    /// <summary>The training split.</summary>
    public required SplitMeta Train { get; init; }

    /// <summary>The validation split.</summary>
    public required SplitMeta Val { get; init; }

    /// <summary>The input paths, made absolute, in the order given.</summary>
    public required IReadOnlyList<string> Sources { get; init; }

    /// <summary>The corpus format asked for: <c>auto</c>, <c>text</c>, <c>jsonl</c> or <c>fortune</c>.</summary>
    public string Format { get; init; } = "auto";

    /// <summary>The JSONL field read as the document (<c>--text-field</c>).</summary>
    public string TextField { get; init; } = "text";

    /// <summary>Fraction of tokens asked for in val, in (0, 1).</summary>
    public double ValFraction { get; init; }

    /// <summary>The val share of all tokens in the shards: within one document of <see cref="ValFraction"/>, or exact by position.</summary>
    public double AchievedValFraction => Train.Tokens + Val.Tokens == 0 ? 0 : (double)Val.Tokens / (Train.Tokens + Val.Tokens);

    /// <summary>How the split was made: whole documents, or one document cut by position.</summary>
    public SplitMethod Split { get; init; }

    /// <summary>Seed of the document shuffle that made the split.</summary>
    public int Seed { get; init; }

    /// <summary>The files read, in reading order, with their tokens per split; empty in corpora prepared before it was recorded.</summary>
    public IReadOnlyList<SourceFile> Files { get; init; } = [];

    /// <summary>The files and folders not read, with the reason.</summary>
    public IReadOnlyList<SkippedFile> Skipped { get; init; } = [];

    /// <summary>When the corpus was prepared (UTC).</summary>
    public DateTime CreatedUtc { get; init; }

    /// <summary>Bytes per token in the shards: 2 for <c>uint16</c>, 4 for <c>uint32</c>.</summary>
    [JsonIgnore]
    public int BytesPerToken => DtypeBytes(Dtype) ?? throw new InvalidOperationException($"dtype '{Dtype}' is not uint16 or uint32");

    /// <summary>The narrowest shard dtype that holds ids below <paramref name="vocabSize"/>.</summary>
    public static string DtypeFor(int vocabSize) => vocabSize <= 65536 ? "uint16" : "uint32";

    /// <summary>This meta as indented JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, _json);

    /// <summary>Reads and checks meta.json.</summary>
    /// <exception cref="DataException">The file is missing, is not valid JSON, lacks a field, or has a bad format_version or dtype.</exception>
    public static CorpusMeta Read(string path)
    {
        if (!File.Exists(path))
            throw new DataException(path, "not found; run 'giant prepare' to make a corpus folder");
        CorpusMeta? meta;
        try
        {
            meta = JsonSerializer.Deserialize<CorpusMeta>(File.ReadAllText(path), _json);
        }
        catch (JsonException e)
        {
            throw new DataException(path, $"is not a valid meta.json: {Config.JsonErrorText.Describe(e, null)}", e);
        }
        if (meta is null)
            throw new DataException(path, "is empty (null)");
        if (meta.FormatVersion != CurrentFormatVersion)
            throw new DataException(path, $"format_version is {meta.FormatVersion}, this build reads {CurrentFormatVersion}; re-run 'giant prepare'");
        if (meta.Tokenizer?.Kind is null || meta.Tokenizer.Identity is null)
            throw new DataException(path, "tokenizer.kind or tokenizer.identity is missing");
        if (meta.Dtype is null || DtypeBytes(meta.Dtype) is null)
            throw new DataException(path, $"dtype '{meta.Dtype}' is not uint16 or uint32");
        foreach (var (name, split) in new[] { ("train", meta.Train), ("val", meta.Val) })
            if (split?.File is null || Path.GetFileName(split.File) != split.File || split.Tokens < 0 || split.Documents < 0)
                throw new DataException(path, $"{name} must have a plain file name, documents >= 0 and tokens >= 0");
        if (meta.Sources is null)
            throw new DataException(path, "sources is missing");
        return meta;
    }

    private static int? DtypeBytes(string dtype) => dtype switch { "uint16" => 2, "uint32" => 4, _ => null };
}
