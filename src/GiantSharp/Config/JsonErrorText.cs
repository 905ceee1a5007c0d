using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace GiantSharp.Config;

/// <summary>
/// Rewrites System.Text.Json's conversion errors ("The JSON value could not be converted to
/// GiantSharp.Offload.Tier. Path: $.offload.params | LineNumber: 43 ...") as what the key accepts and what it got
/// ("must be one of device, host, disk; got "gpu""): the line numbers refer to the config after overrides, not to
/// the file, and .NET type names mean nothing to a user.
/// </summary>
internal static partial class JsonErrorText
{
    /// <summary>The problem in <paramref name="e"/>, stated for the value at its path in <paramref name="root"/>.</summary>
    public static string Describe(JsonException e, JsonObject root)
    {
        var message = e.Message.Split('\n')[0].Trim();
        var converted = CouldNotConvert().Match(message);
        var got = ValueAt(root, e.Path);
        if (converted.Success && TypeNamed(converted.Groups["type"].Value) is { } type)
            return $"must be {Expected(type)}{(got is null ? "" : $"; got {got}")}";
        var cut = message.IndexOf(" Path: ", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }

    private static string Expected(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(Offload.LayerSelection)) return Offload.LayerSelectionJsonConverter.Expected["expected ".Length..];
        if (type == typeof(Sharing.SharingPlan)) return "'none', 'all', 'group:K:cycle|sequence' or an object {mode, groups, order}";
        if (type.IsEnum) return "one of " + string.Join(", ", Enum.GetNames(type).Select(JsonNamingPolicy.SnakeCaseLower.ConvertName));
        if (type == typeof(bool)) return "true or false";
        if (type == typeof(int) || type == typeof(long)) return "a whole number";
        if (type == typeof(double) || type == typeof(float)) return "a number";
        if (type == typeof(string)) return "a string";
        if (type.IsGenericType && type.GetGenericTypeDefinition() is var g && (g == typeof(IReadOnlyList<>) || g == typeof(List<>))) return "a list";
        return "an object";
    }

    private static Type? TypeNamed(string name)
    {
        var nullable = NullableOf().Match(name);
        if (nullable.Success) return TypeNamed(nullable.Groups["inner"].Value) is { } inner ? typeof(Nullable<>).MakeGenericType(inner) : null;
        return Type.GetType(name) ?? typeof(JsonErrorText).Assembly.GetType(name);
    }

    private static string? ValueAt(JsonNode root, string? path)
    {
        if (string.IsNullOrEmpty(path)) return null;
        JsonNode? node = root;
        foreach (Match m in PathStep().Matches(path))
        {
            node = m.Groups["name"].Success ? (node as JsonObject)?[m.Groups["name"].Value]
                : int.TryParse(m.Groups["index"].Value, out var i) && node is JsonArray a && i < a.Count ? a[i] : null;
            if (node is null) return null;
        }
        return node.ToJsonString();
    }

    [GeneratedRegex(@"could not be converted to (?<type>[^ ]+?)\. ")]
    private static partial Regex CouldNotConvert();

    [GeneratedRegex(@"^System\.Nullable`1\[(?<inner>.+)\]$")]
    private static partial Regex NullableOf();

    [GeneratedRegex(@"\.(?<name>[A-Za-z_][A-Za-z0-9_]*)|\[(?<index>\d+)\]")]
    private static partial Regex PathStep();
}
