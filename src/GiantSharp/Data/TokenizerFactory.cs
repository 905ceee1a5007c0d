using GiantSharp.Errors;

namespace GiantSharp.Data;

/// <summary>Creates tokenizers by kind, and turns them into / back from the <see cref="TokenizerSpec"/> in meta.json.</summary>
public static class TokenizerFactory
{
    /// <summary>The tokenizer kinds, as written in configs and on the command line.</summary>
    public static IReadOnlyList<string> Kinds { get; } = ["byte", "char", "gpt2"];

    /// <summary>A tokenizer of <paramref name="kind"/>; <paramref name="docs"/> is read only by <c>char</c>, to build its vocabulary.</summary>
    /// <exception cref="ConfigException">Key <c>tokenizer</c>: an unknown kind.</exception>
    public static ITokenizer Create(string kind, IEnumerable<string> docs) => CheckKind(kind) switch
    {
        "byte" => new ByteTokenizer(),
        "char" => CharTokenizer.Build(docs),
        _ => new Gpt2Tokenizer(),
    };

    /// <summary>Returns <paramref name="kind"/> if it names a tokenizer.</summary>
    /// <exception cref="ConfigException">Key <c>tokenizer</c>: an unknown kind.</exception>
    public static string CheckKind(string? kind) => Kinds.Contains(kind)
        ? kind!
        : throw new ConfigException("tokenizer", $"unknown tokenizer '{kind}' ({string.Join(", ", Kinds)})");

    /// <summary>What meta.json stores for <paramref name="tokenizer"/>.</summary>
    public static TokenizerSpec ToSpec(ITokenizer tokenizer) => tokenizer is Images.ImageTextTokenizer imageText ? imageText.ToSpec() : new(
        tokenizer.Kind,
        tokenizer.Identity,
        tokenizer.VocabSize,
        tokenizer.EndOfTextId,
        tokenizer is CharTokenizer chars ? chars.Vocab : null);

    /// <summary>Rebuilds the tokenizer <paramref name="spec"/> describes and checks it is the same one.</summary>
    /// <param name="spec">The <c>tokenizer</c> object read from meta.json.</param>
    /// <param name="metaPath">The meta.json it came from, named in errors.</param>
    /// <exception cref="DataException">Unknown kind, missing or bad vocabulary, or identity / vocab_size / end_of_text_id that differ from the rebuilt tokenizer.</exception>
    public static ITokenizer FromSpec(TokenizerSpec spec, string metaPath)
    {
        ITokenizer tokenizer;
        switch (spec.Kind)
        {
            case "byte": tokenizer = new ByteTokenizer(); break;
            case "gpt2": tokenizer = new Gpt2Tokenizer(); break;
            case Images.ImageTextTokenizer.KindName: tokenizer = Images.ImageTextTokenizer.FromSpec(spec, metaPath); break;
            case "char":
                if (spec.Vocab is null)
                    throw new DataException(metaPath, "tokenizer.vocab is missing (needed for the char tokenizer)");
                try { tokenizer = CharTokenizer.FromVocab(spec.Vocab); }
                catch (ArgumentException e) { throw new DataException(metaPath, $"tokenizer.{e.Message}"); }
                break;
            default:
                throw new DataException(metaPath, $"tokenizer.kind '{spec.Kind}' is unknown ({string.Join(", ", Kinds)})");
        }
        if (tokenizer.Identity != spec.Identity)
            throw new DataException(metaPath, $"tokenizer.identity is '{spec.Identity}' but this vocabulary hashes to '{tokenizer.Identity}'; re-run 'giant prepare'");
        if (tokenizer.VocabSize != spec.VocabSize || tokenizer.EndOfTextId != spec.EndOfTextId)
            throw new DataException(metaPath, $"tokenizer.vocab_size/end_of_text_id are {spec.VocabSize}/{spec.EndOfTextId} but the {spec.Kind} tokenizer has {tokenizer.VocabSize}/{tokenizer.EndOfTextId}");
        return tokenizer;
    }

    /// <summary>The tokenizer of the prepared corpus whose meta.json is <paramref name="metaPath"/>.</summary>
    /// <exception cref="DataException">meta.json is missing or invalid, or its tokenizer cannot be rebuilt.</exception>
    public static ITokenizer Load(string metaPath) => FromSpec(CorpusMeta.Read(metaPath).Tokenizer, metaPath);
}
