using System.Text.Json;
using GiantSharp.Errors;

namespace GiantSharp.Data.Images;

/// <summary>
/// <c>image-text.json</c> of an image-text corpus folder (snake_case keys): the tokenizer (caption words and image
/// codebook), the class phrases, the record layout and the splits.
/// </summary>
public sealed record ImageTextMeta
{
    /// <summary>The file name in a corpus folder.</summary>
    public const string FileName = "image-text.json";
    /// <summary>The layout version this code writes and reads.</summary>
    public const int CurrentFormatVersion = 1;

    private static readonly JsonSerializerOptions _json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    /// <summary>Layout version, <see cref="CurrentFormatVersion"/>.</summary>
    public int FormatVersion { get; init; } = CurrentFormatVersion;
    /// <summary>The image-text tokenizer.</summary>
    public required TokenizerSpec Tokenizer { get; init; }
    /// <summary>Class noun phrases in label order.</summary>
    public required IReadOnlyList<string> Classes { get; init; }
    /// <summary>Longest caption, in words (the record's caption slots).</summary>
    public required int CaptionTokens { get; init; }
    /// <summary>The training split (the data set's training images less the val share).</summary>
    public required ImageSplitMeta Train { get; init; }
    /// <summary>The validation split (drawn from the data set's training images).</summary>
    public required ImageSplitMeta Val { get; init; }
    /// <summary>The data set's own test split.</summary>
    public required ImageSplitMeta Test { get; init; }
    /// <summary>The input folders, absolute.</summary>
    public required IReadOnlyList<string> Sources { get; init; }
    /// <summary>Share of the training images held out for validation.</summary>
    public double ValFraction { get; init; }
    /// <summary>Seed of the split, the phrasings and the codebook.</summary>
    public int Seed { get; init; }
    /// <summary>Root mean squared error per pixel (0..255) of the codebook's round trip on the training images.</summary>
    public double CodebookRmse { get; init; }
    /// <summary>When the corpus was prepared (UTC).</summary>
    public DateTime CreatedUtc { get; init; }

    /// <summary>This meta as indented JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, _json);

    /// <summary>Reads and checks the meta file.</summary>
    /// <exception cref="DataException">Missing, not valid JSON, missing a field, or of another format version.</exception>
    public static ImageTextMeta Read(string path)
    {
        if (!File.Exists(path)) throw new DataException(path, "not found; run 'giant prepare' on an idx image folder");
        ImageTextMeta? meta;
        try { meta = JsonSerializer.Deserialize<ImageTextMeta>(File.ReadAllText(path), _json); }
        catch (JsonException e) { throw new DataException(path, $"is not a valid {FileName}: {Config.JsonErrorText.Describe(e, null)}", e); }
        if (meta is null) throw new DataException(path, "is empty (null)");
        if (meta.FormatVersion != CurrentFormatVersion)
            throw new DataException(path, $"format_version is {meta.FormatVersion}, this build reads {CurrentFormatVersion}; re-run 'giant prepare'");
        if (meta.Tokenizer?.Kind != ImageTextTokenizer.KindName) throw new DataException(path, $"tokenizer.kind must be '{ImageTextTokenizer.KindName}'");
        foreach (var (name, split) in new[] { ("train", meta.Train), ("val", meta.Val), ("test", meta.Test) })
            if (split?.File is null || Path.GetFileName(split.File) != split.File || split.Examples < 0)
                throw new DataException(path, $"{name} must have a plain file name and examples >= 0");
        if (meta.Classes is not { Count: >= 2 } || meta.CaptionTokens <= 0) throw new DataException(path, "needs at least two classes and caption_tokens > 0");
        return meta;
    }
}
