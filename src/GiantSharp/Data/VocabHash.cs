using System.Security.Cryptography;

namespace GiantSharp.Data;

/// <summary>The short, stable vocabulary hash in <see cref="ITokenizer.Identity"/>.</summary>
internal static class VocabHash
{
    /// <summary><paramref name="kind"/> + ":" + the first 8 hex digits of SHA-256 of <paramref name="canonicalBytes"/>.</summary>
    public static string Identity(string kind, ReadOnlySpan<byte> canonicalBytes) =>
        $"{kind}:{Convert.ToHexStringLower(SHA256.HashData(canonicalBytes))[..8]}";
}
