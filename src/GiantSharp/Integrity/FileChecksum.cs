using System.IO.Hashing;
using GiantSharp.Errors;

namespace GiantSharp.Integrity;

/// <summary>
/// XxHash3 (64-bit) checksums of whole files, streamed in 1 MiB reads so a GiB file never sits in memory
/// (~10 GB/s of hashing: the disk is the limit). Written as 16 lower-case hex digits.
/// </summary>
public static class FileChecksum
{
    private const int BufferBytes = 1 << 20;

    /// <summary>The checksum of <paramref name="path"/>'s bytes; <paramref name="inspect"/> sees each chunk as it is read (e.g. to range-check token ids).</summary>
    /// <exception cref="DataException">The file is missing.</exception>
    public static string Of(string path, Action<ReadOnlySpan<byte>>? inspect = null)
    {
        if (!File.Exists(path)) throw new DataException(path, "not found");
        var hash = new XxHash3();
        var buffer = new byte[BufferBytes];
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1, FileOptions.SequentialScan);
        int read;
        int carry = 0;                                                        // bytes held back so inspect sees whole 4-byte groups
        while ((read = stream.Read(buffer, carry, buffer.Length - carry)) > 0)
        {
            int total = carry + read;
            hash.Append(buffer.AsSpan(carry, read));
            int whole = total & ~3;
            inspect?.Invoke(buffer.AsSpan(0, whole));
            carry = total - whole;
            if (carry > 0) buffer.AsSpan(whole, carry).CopyTo(buffer);
        }
        if (carry > 0) inspect?.Invoke(buffer.AsSpan(0, carry));
        return Format(hash.GetCurrentHashAsUInt64());
    }

    /// <summary>The checksum of bytes already in memory.</summary>
    public static string Of(ReadOnlySpan<byte> bytes) => Format(XxHash3.HashToUInt64(bytes));

    /// <summary>Checks <paramref name="path"/> against <paramref name="expected"/>.</summary>
    /// <exception cref="DataException">The bytes differ from those written; the message names the file.</exception>
    public static void Verify(string path, string expected, Action<ReadOnlySpan<byte>>? inspect = null)
    {
        var actual = Of(path, inspect);
        if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
            throw new DataException(path, $"checksum mismatch (xxh3 {actual}, recorded {expected}): the file was changed or damaged since it was written");
    }

    /// <summary>The 16-hex-digit form of a 64-bit hash.</summary>
    public static string Format(ulong hash) => hash.ToString("x16");
}
