using System.Text;
using System.Text.Unicode;

namespace GiantSharp.Data;

/// <summary>Strict UTF-8 for reading corpora; lenient UTF-8 for decoding token bytes.</summary>
internal static class Utf8Text
{
    private static readonly byte[] _bom = [0xEF, 0xBB, 0xBF];

    /// <summary>
    /// Decodes <paramref name="bytes"/> as UTF-8 text (a leading BOM is skipped); returns null and says why when they are
    /// not: an invalid or truncated sequence (with its byte offset), or a NUL byte, which text does not hold (binary
    /// files and UTF-16 do).
    /// </summary>
    /// <param name="bytes">The file's contents.</param>
    /// <param name="problem">Why the bytes are not UTF-8 text, or null.</param>
    public static string? TryDecode(ReadOnlySpan<byte> bytes, out string? problem)
    {
        int start = bytes.StartsWith(_bom) ? _bom.Length : 0;
        var body = bytes[start..];
        int nul = body.IndexOf((byte)0);
        var chars = new char[body.Length];
        var status = Utf8.ToUtf16(nul < 0 ? body : body[..nul], chars, out int bytesRead, out int charsWritten, replaceInvalidSequences: false);
        problem = status != System.Buffers.OperationStatus.Done
            ? $"invalid UTF-8 at byte offset {start + bytesRead} (byte 0x{bytes[start + bytesRead]:X2})"
            : nul >= 0 ? $"a NUL byte at byte offset {start + nul} (binary, or UTF-16)" : null;
        return problem is null ? new string(chars, 0, charsWritten) : null;
    }

    /// <summary>Decodes bytes that may hold partial sequences, turning each bad one into U+FFFD.</summary>
    public static string DecodeLenient(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);
}
