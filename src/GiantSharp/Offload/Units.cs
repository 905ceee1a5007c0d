using System.Globalization;

namespace GiantSharp.Offload;

/// <summary>Formats byte counts for messages.</summary>
internal static class Units
{
    /// <summary>Bytes as GiB with two decimals, e.g. <c>12.50 GiB</c>.</summary>
    public static string GiB(long bytes) => (bytes / (double)(1L << 30)).ToString("0.00", CultureInfo.InvariantCulture) + " GiB";
}
