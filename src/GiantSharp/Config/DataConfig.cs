using GiantSharp.Errors;

namespace GiantSharp.Config;

/// <summary>
/// Where the tokens come from (JSON key <c>data</c>): a prepared corpus folder (<c>giant prepare</c>), or
/// sources that are prepared into it on first use.
/// </summary>
public sealed record DataConfig
{
    /// <summary>Prepared corpus folder (train.bin, val.bin, meta.json).</summary>
    public string Dir { get; init; } = "";
    /// <summary>Text files or folders to prepare into <see cref="Dir"/> when it does not exist yet.</summary>
    public IReadOnlyList<string> Sources { get; init; } = [];
    /// <summary>
    /// Tokenizer: <c>byte</c>, <c>char</c> or <c>gpt2</c>. Used when preparing (null: <c>char</c>); a prepared text corpus
    /// must have been made with it (null: whichever it was made with).
    /// </summary>
    public string? Tokenizer { get; init; }
    /// <summary>Share of documents held out for validation when preparing.</summary>
    public double ValFraction { get; init; } = 0.1;
    /// <summary>How an idx image folder in <see cref="Sources"/> becomes an image-text corpus (patch size, codes, classes); defaults when null.</summary>
    public ImageDataConfig? Images { get; init; }

    /// <summary>Checks the fields.</summary>
    /// <exception cref="ConfigException">The first bad field, by key.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Dir)) throw new ConfigException("data.dir", "must name the prepared corpus folder");
        if (Tokenizer is not null && !Data.TokenizerFactory.Kinds.Contains(Tokenizer))
            throw new ConfigException("data.tokenizer", $"unknown tokenizer '{Tokenizer}' ({string.Join(", ", Data.TokenizerFactory.Kinds)})");
        if (ValFraction is <= 0 or >= 1) throw new ConfigException("data.val_fraction", $"must be in (0, 1), got {ValFraction}");
        Images?.Validate();
    }
}
