using System.Runtime.InteropServices;
using System.Text;

namespace GiantSharp.Data;

/// <summary>UTF-8 bytes as tokens: ids 0..255 are bytes, 256 is end-of-text (V = 257). Works for any script.</summary>
public sealed class ByteTokenizer : ITokenizer
{
    /// <summary>The end-of-text id.</summary>
    public const int EndOfText = 256;

    private static readonly string _identity = VocabHash.Identity("byte", Encoding.ASCII.GetBytes("bytes 0-255, end-of-text 256"));

    /// <inheritdoc/>
    public string Kind => "byte";
    /// <inheritdoc/>
    public string Identity => _identity;
    /// <inheritdoc/>
    public int VocabSize => 257;
    /// <inheritdoc/>
    public int EndOfTextId => EndOfText;

    /// <summary>The UTF-8 bytes of <paramref name="text"/> as ids (a lone surrogate becomes the bytes of U+FFFD).</summary>
    public int[] Encode(string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        var ids = new int[bytes.Length];
        for (int i = 0; i < bytes.Length; i++)
            ids[i] = bytes[i];
        return ids;
    }

    /// <inheritdoc/>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var text = new StringBuilder(ids.Length);
        var run = new List<byte>(ids.Length);
        foreach (int id in ids)
        {
            if ((uint)id <= byte.MaxValue)
            {
                run.Add((byte)id);
                continue;
            }
            // End-of-text or an id outside the vocabulary ends a run of bytes.
            text.Append(Utf8Text.DecodeLenient(CollectionsMarshal.AsSpan(run)));
            run.Clear();
            text.Append(id == EndOfText ? ITokenizer.EndOfTextMarker : "\uFFFD");
        }
        return text.Append(Utf8Text.DecodeLenient(CollectionsMarshal.AsSpan(run))).ToString();
    }
}
