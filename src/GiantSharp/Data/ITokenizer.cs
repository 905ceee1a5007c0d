namespace GiantSharp.Data;

/// <summary>
/// Text to token ids and back. Ids run from 0 to <see cref="VocabSize"/> - 1; documents in a prepared
/// corpus are each followed by <see cref="EndOfTextId"/>.
/// </summary>
public interface ITokenizer
{
    /// <summary>How <see cref="Decode"/> renders <see cref="EndOfTextId"/>, for every kind.</summary>
    const string EndOfTextMarker = "<|endoftext|>";

    /// <summary>The tokenizer kind: <c>byte</c>, <c>char</c> or <c>gpt2</c>.</summary>
    string Kind { get; }

    /// <summary>
    /// <see cref="Kind"/> plus a short hash of the vocabulary, e.g. <c>char:3f2a9c1d</c>; the same on
    /// every run and machine for the same vocabulary, so a checkpoint can refuse a corpus it was not trained on.
    /// </summary>
    string Identity { get; }

    /// <summary>Number of token ids (V), including the special ones.</summary>
    int VocabSize { get; }

    /// <summary>The id that ends every document in a prepared corpus.</summary>
    int EndOfTextId { get; }

    /// <summary>Encodes <paramref name="text"/> to ids; never emits <see cref="EndOfTextId"/> itself.</summary>
    int[] Encode(string text);

    /// <summary>
    /// Decodes ids to text. Never throws on ids a model may sample: <see cref="EndOfTextId"/> becomes
    /// <see cref="EndOfTextMarker"/>; an id outside [0, V), an unknown id or an incomplete UTF-8 sequence
    /// becomes U+FFFD.
    /// </summary>
    string Decode(ReadOnlySpan<int> ids);
}
