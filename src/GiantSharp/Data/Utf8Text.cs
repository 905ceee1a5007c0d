using System.Text;
using System.Text.Unicode;
using GiantSharp.Errors;

namespace GiantSharp.Data;

/// <summary>Strict UTF-8 for reading corpora; lenient UTF-8 for decoding token bytes.</summary>
internal static class Utf8Text
{
    private static readonly byte[] _bom = [0xEF, 0xBB, 0xBF];

    /// <summary>Decodes <paramref name="bytes"/> (a leading BOM is skipped).</summary>
    /// <exception cref="DataException">An invalid or truncated sequence; names <paramref name="path"/> and the byte offset.</exception>
    public static string DecodeStrict(ReadOnlySpan<byte> bytes, string path)
    {
        int start = bytes.StartsWith(_bom) ? _bom.Length : 0;
        var body = bytes[start..];
        var chars = new char[body.Length];
        var status = Utf8.ToUtf16(body, chars, out int bytesRead, out int charsWritten, replaceInvalidSequences: false);
        if (status != System.Buffers.OperationStatus.Done)
            throw new DataException(path, $"invalid UTF-8 at byte offset {start + bytesRead} (byte 0x{bytes[start + bytesRead]:X2}); the corpus must be UTF-8 text");
        return new string(chars, 0, charsWritten);
    }

    /// <summary>Decodes bytes that may hold partial sequences, turning each bad one into U+FFFD.</summary>
    public static string DecodeLenient(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);
}
