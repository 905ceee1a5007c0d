using System.Globalization;

namespace GiantSharp.Offload;

/// <summary>Formats byte counts for messages.</summary>
public static class Units
{
    /// <summary>Bytes in binary units with two decimals: <c>512 B</c>, <c>3.20 MiB</c>, <c>12.50 GiB</c>.</summary>
    public static string Bytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        int u = 0;
        while (Math.Abs(value) >= 1024 && u < units.Length - 1) { value /= 1024; u++; }
        return u == 0 ? $"{bytes} B" : value.ToString("0.00", CultureInfo.InvariantCulture) + " " + units[u];
    }
}
