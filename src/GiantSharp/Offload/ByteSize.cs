using System.Globalization;
using System.Text.RegularExpressions;

namespace GiantSharp.Offload;

/// <summary>
/// Parses and prints memory sizes as users write them (Hugging Face accelerate's <c>max_memory</c>, DeepSpeed's
/// configs): a whole number of bytes, or a number with a unit, binary (<c>KiB</c>, <c>MiB</c>, <c>GiB</c>,
/// <c>TiB</c>: powers of 1024) or decimal (<c>KB</c>, <c>MB</c>, <c>GB</c>, <c>TB</c>: powers of 1000), case-insensitive,
/// e.g. <c>1GiB</c>, <c>512 MiB</c>, <c>1.5GB</c>, <c>1073741824</c>.
/// </summary>
public static partial class ByteSize
{
    /// <summary>What a size may look like, for error messages.</summary>
    public const string Expected = "a size such as 1GiB, 512MiB, 1.5GB or a whole number of bytes";

    /// <summary>The bytes <paramref name="text"/> stands for, or null when it is not a size (or not above zero, or too large).</summary>
    public static long? TryParse(string? text)
    {
        if (text is null) return null;
        var m = SizePattern().Match(text.Trim());
        if (!m.Success) return null;
        if (!double.TryParse(m.Groups[1].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)) return null;
        double unit = m.Groups[2].Value.ToLowerInvariant() switch
        {
            "" or "b" => 1,
            "k" or "kb" => 1e3, "m" or "mb" => 1e6, "g" or "gb" => 1e9, "t" or "tb" => 1e12,
            "kib" => 1L << 10, "mib" => 1L << 20, "gib" => 1L << 30, "tib" => 1L << 40,
            _ => double.NaN,
        };
        var bytes = number * unit;
        if (double.IsNaN(bytes) || bytes < 1 || bytes >= long.MaxValue / 2) return null;
        if (unit == 1 && number != Math.Floor(number)) return null;                 // a fraction of a byte
        return (long)Math.Round(bytes);
    }

    /// <summary>The bytes of <paramref name="text"/>.</summary>
    /// <exception cref="Errors.ConfigException">It is not a size; the message names <paramref name="key"/>.</exception>
    public static long Parse(string? text, string key) =>
        TryParse(text) ?? throw new Errors.ConfigException(key, $"expected {Expected}, got '{text}'");

    /// <summary>The shortest exact form: <c>1GiB</c>, <c>512MiB</c>, else the number of bytes.</summary>
    public static string Format(long bytes)
    {
        foreach (var (unit, size) in new[] { ("TiB", 1L << 40), ("GiB", 1L << 30), ("MiB", 1L << 20), ("KiB", 1L << 10) })
            if (bytes % size == 0) return $"{bytes / size}{unit}";
        return bytes.ToString(CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"^([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)$")]
    private static partial Regex SizePattern();
}
