using System.Buffers.Binary;
using System.Text;

namespace GiantSharp.Data;

/// <summary>
/// One token per Unicode code point (<see cref="Rune"/>), with the vocabulary taken from the corpus: the
/// code points seen, sorted by value, get ids 0..n-1; then <c>&lt;eot&gt;</c> = n and <c>&lt;unk&gt;</c> = n+1
/// (V = n + 2). Right for Chinese, where each character is a word-like unit. An emoji ZWJ sequence is
/// several code points and so several tokens; it still round-trips.
/// </summary>
public sealed class CharTokenizer : ITokenizer
{
    private readonly Rune[] _runes;
    private readonly Dictionary<int, int> _idOf;
    private readonly string[] _text;

    private CharTokenizer(IEnumerable<Rune> runes)
    {
        _runes = runes.Distinct().OrderBy(r => r.Value).ToArray();
        _idOf = new Dictionary<int, int>(_runes.Length);
        _text = new string[_runes.Length];
        var canonical = new byte[_runes.Length * 4];
        for (int i = 0; i < _runes.Length; i++)
        {
            _idOf[_runes[i].Value] = i;
            _text[i] = _runes[i].ToString();
            BinaryPrimitives.WriteInt32LittleEndian(canonical.AsSpan(i * 4), _runes[i].Value);
        }
        Identity = VocabHash.Identity("char", canonical);
    }

    /// <summary>Builds the vocabulary from every code point in <paramref name="docs"/>.</summary>
    /// <remarks>A lone surrogate (impossible in text read as UTF-8) counts as U+FFFD.</remarks>
    public static CharTokenizer Build(IEnumerable<string> docs)
    {
        ArgumentNullException.ThrowIfNull(docs);
        var seen = new HashSet<Rune>();
        foreach (string doc in docs)
            foreach (Rune rune in doc.EnumerateRunes())
                seen.Add(rune);
        return new CharTokenizer(seen);
    }

    /// <summary>Rebuilds a tokenizer from <see cref="Vocab"/> as saved in meta.json.</summary>
    /// <exception cref="ArgumentException">An entry is not exactly one code point, or entries repeat or are out of order.</exception>
    public static CharTokenizer FromVocab(IReadOnlyList<string> vocab)
    {
        ArgumentNullException.ThrowIfNull(vocab);
        var runes = new Rune[vocab.Count];
        for (int i = 0; i < vocab.Count; i++)
        {
            string entry = vocab[i] ?? "";
            if (Rune.DecodeFromUtf16(entry, out runes[i], out int used) != System.Buffers.OperationStatus.Done || used != entry.Length)
                throw new ArgumentException($"vocab[{i}] is not exactly one Unicode code point", nameof(vocab));
            if (i > 0 && runes[i].Value <= runes[i - 1].Value)
                throw new ArgumentException($"vocab[{i}] (U+{runes[i].Value:X4}) is not after vocab[{i - 1}]; entries must be unique and sorted by code point", nameof(vocab));
        }
        return new CharTokenizer(runes);
    }

    /// <inheritdoc/>
    public string Kind => "char";
    /// <inheritdoc/>
    public string Identity { get; }
    /// <inheritdoc/>
    public int VocabSize => _runes.Length + 2;
    /// <inheritdoc/>
    public int EndOfTextId => _runes.Length;

    /// <summary>The id of <c>&lt;unk&gt;</c>, given to code points not in the vocabulary.</summary>
    public int UnknownId => _runes.Length + 1;

    /// <summary>The vocabulary in id order, one code point per entry, without the two special tokens.</summary>
    public IReadOnlyList<string> Vocab => _text;

    /// <summary>One id per code point; a code point not in the vocabulary becomes <see cref="UnknownId"/>.</summary>
    public int[] Encode(string text)
    {
        var ids = new List<int>(text.Length);
        foreach (Rune rune in text.EnumerateRunes())
            ids.Add(_idOf.TryGetValue(rune.Value, out int id) ? id : UnknownId);
        return ids.ToArray();
    }

    /// <inheritdoc/>
    /// <remarks><see cref="UnknownId"/> decodes as U+FFFD.</remarks>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var text = new StringBuilder(ids.Length);
        foreach (int id in ids)
        {
            if ((uint)id < (uint)_text.Length)
                text.Append(_text[id]);
            else
                text.Append(id == EndOfTextId ? ITokenizer.EndOfTextMarker : "\uFFFD");
        }
        return text.ToString();
    }
}
