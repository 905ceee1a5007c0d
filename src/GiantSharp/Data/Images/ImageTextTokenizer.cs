using System.Text;
using GiantSharp.Errors;

namespace GiantSharp.Data.Images;

/// <summary>
/// The vocabulary of an image-text model: caption words, then four special tokens, then one token per image code.
/// Ids: words 0..n-1 (taken from the captions, sorted), <c>&lt;eot&gt;</c> = n (ends a caption), <c>&lt;unk&gt;</c> = n+1,
/// <c>&lt;image&gt;</c> = n+2 (opens an image), <c>&lt;patch&gt;</c> = n+3 (a continuous patch's position), and code k of
/// the <see cref="PatchCodebook"/> = n+4+k. Text is lower-cased and split on white space, punctuation stripped from the
/// ends of words ("An ankle-boot!" is <c>an ankle-boot</c>).
/// </summary>
public sealed class ImageTextTokenizer : ITokenizer
{
    /// <summary>The kind written in meta.json and checkpoints.</summary>
    public const string KindName = "image-text";

    private readonly string[] _words;
    private readonly Dictionary<string, int> _idOf;

    /// <summary>A tokenizer of <paramref name="words"/> (any order; duplicates dropped) and an image codebook.</summary>
    /// <exception cref="ArgumentException">A word is empty or contains white space.</exception>
    public ImageTextTokenizer(IEnumerable<string> words, PatchCodebook codebook, ImagePatches geometry)
    {
        _words = words.Distinct().Order(StringComparer.Ordinal).ToArray();
        if (_words.Any(w => w.Length == 0 || w.Any(char.IsWhiteSpace))) throw new ArgumentException("words must be non-empty and without white space", nameof(words));
        if (codebook.PatchDim != geometry.PatchDim) throw new ArgumentException($"the codebook's patches have {codebook.PatchDim} pixels, the geometry's {geometry.PatchDim}", nameof(codebook));
        _idOf = _words.Select((w, i) => (w, i)).ToDictionary(p => p.w, p => p.i, StringComparer.Ordinal);
        Codebook = codebook;
        Geometry = geometry;
        var canonical = new List<byte>(Encoding.UTF8.GetBytes(string.Join('\n', _words)));
        canonical.AddRange(Encoding.ASCII.GetBytes($"\n{geometry.Height}x{geometry.Width}/{geometry.PatchSize}\n"));
        canonical.AddRange(codebook.Centroids);
        Identity = VocabHash.Identity(KindName, canonical.ToArray());
    }

    /// <summary>The caption words of <paramref name="captions"/> with a codebook.</summary>
    public static ImageTextTokenizer Build(IEnumerable<string> captions, PatchCodebook codebook, ImagePatches geometry) =>
        new(captions.SelectMany(Words), codebook, geometry);

    /// <inheritdoc />
    public string Kind => KindName;
    /// <inheritdoc />
    public string Identity { get; }
    /// <inheritdoc />
    public int VocabSize => FirstCodeId + Codebook.Codes;
    /// <inheritdoc />
    public int EndOfTextId => _words.Length;
    /// <summary>The id of words not in the vocabulary.</summary>
    public int UnknownId => _words.Length + 1;
    /// <summary>The id that opens an image.</summary>
    public int ImageId => _words.Length + 2;
    /// <summary>The id at the position of a continuous patch.</summary>
    public int PatchId => _words.Length + 3;
    /// <summary>The id of image code 0; code k is this + k.</summary>
    public int FirstCodeId => _words.Length + 4;
    /// <summary>The caption words in id order.</summary>
    public IReadOnlyList<string> Vocab => _words;
    /// <summary>The image tokenizer.</summary>
    public PatchCodebook Codebook { get; }
    /// <summary>Image size and patch size.</summary>
    public ImagePatches Geometry { get; }

    /// <summary>Whether <paramref name="id"/> is an image code.</summary>
    public bool IsCode(int id) => id >= FirstCodeId && id < VocabSize;

    /// <summary>Lower-cased words of <paramref name="text"/>, split on white space, punctuation stripped from their ends.</summary>
    public static string[] Words(string text) =>
        text.ToLowerInvariant().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)
            .Select(w => w.Trim(".,;:!?\"'()[]{}".ToCharArray())).Where(w => w.Length > 0).ToArray();

    /// <summary>One id per word; words not in the vocabulary become <see cref="UnknownId"/>.</summary>
    public int[] Encode(string text) => Words(text).Select(w => _idOf.TryGetValue(w, out var id) ? id : UnknownId).ToArray();

    /// <inheritdoc />
    /// <remarks>Words are joined by spaces; specials read <c>&lt;unk&gt;</c>, <c>&lt;image&gt;</c>, <c>&lt;patch&gt;</c>, codes <c>&lt;code:K&gt;</c>.</remarks>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var parts = new List<string>(ids.Length);
        foreach (var id in ids)
            parts.Add(id switch
            {
                _ when (uint)id < (uint)_words.Length => _words[id],
                _ when id == EndOfTextId => ITokenizer.EndOfTextMarker,
                _ when id == ImageId => "<image>",
                _ when id == PatchId => "<patch>",
                _ when IsCode(id) => $"<code:{id - FirstCodeId}>",
                _ => "<unk>",
            });
        return string.Join(' ', parts);
    }

    /// <summary>What meta.json and checkpoints store: the words and the codebook.</summary>
    public TokenizerSpec ToSpec() => new(Kind, Identity, VocabSize, EndOfTextId, _words,
        new ImageCodebookSpec(Geometry.Height, Geometry.Width, Geometry.PatchSize, Codebook.Codes, Convert.ToBase64String(Codebook.Centroids)));

    /// <summary>Rebuilds the tokenizer of <paramref name="spec"/>.</summary>
    /// <exception cref="DataException">The words or the codebook are missing or malformed (named after <paramref name="metaPath"/>).</exception>
    public static ImageTextTokenizer FromSpec(TokenizerSpec spec, string metaPath)
    {
        if (spec.Vocab is null || spec.Image is not { } image)
            throw new DataException(metaPath, "tokenizer.vocab or tokenizer.image is missing (needed for the image-text tokenizer)");
        try
        {
            var geometry = new ImagePatches(image.Height, image.Width, image.PatchSize).Validate();
            var codebook = new PatchCodebook(geometry.PatchDim, Convert.FromBase64String(image.Codebook));
            if (codebook.Codes != image.Codes) throw new ArgumentException($"codebook holds {codebook.Codes} codes, codes says {image.Codes}");
            return new ImageTextTokenizer(spec.Vocab, codebook, geometry);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or ConfigException)
        {
            throw new DataException(metaPath, $"tokenizer.image is malformed: {e.Message}");
        }
    }
}
