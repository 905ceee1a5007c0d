using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace GiantSharp.Config;

/// <summary>
/// Rewrites System.Text.Json's errors ("The JSON value could not be converted to GiantSharp.Offload.Tier. Path:
/// $.offload.params | LineNumber: 43 ...", "The JSON property 'd_modle' could not be mapped to any .NET member
/// contained in type 'GiantSharp.Model.ModelConfig'") as what the key accepts and what it got ("must be one of device,
/// host, disk; got "gpu"", "unknown key; did you mean 'model.d_model'?"): the line numbers refer to the config after
/// overrides, not to the file, and .NET type names mean nothing to a user.
/// </summary>
internal static partial class JsonErrorText
{
    /// <summary>The problem in <paramref name="e"/>, stated for the value at its path in <paramref name="root"/> (null: no value quoted).</summary>
    public static string Describe(JsonException e, JsonObject? root)
    {
        var message = e.Message.Split('\n')[0].Trim();
        var unmapped = CouldNotMap().Match(message);
        if (unmapped.Success && TypeNamed(unmapped.Groups["type"].Value) is { } owner)
            return UnknownKey(unmapped.Groups["name"].Value, owner, ParentKey(e.Path));
        var converted = CouldNotConvert().Match(message);
        var got = root is null ? null : ValueAt(root, e.Path);
        if (converted.Success && TypeNamed(converted.Groups["type"].Value) is { } type)
            return $"must be {Expected(type)}{(got is null ? "" : $"; got {got}")}";
        var cut = message.IndexOf(" Path: ", StringComparison.Ordinal);
        return WithoutTypeNames(cut > 0 ? message[..cut] : message);
    }

    /// <summary>
    /// The message for key <paramref name="name"/>, which <paramref name="owner"/> (the section at <paramref name="parent"/>)
    /// does not have: the closest known key of that section by edit distance ("did you mean"), else the section one
    /// level down that has a key of that name, else the keys the section accepts.
    /// </summary>
    public static string UnknownKey(string name, Type owner, string parent)
    {
        string Full(string key) => parent.Length == 0 ? key : $"{parent}.{key}";
        var keys = KeysOf(owner);
        var close = keys.Select(k => (Key: k, Distance: EditDistance.Between(name, k)))
            .Where(x => x.Distance <= Math.Max(2, name.Length / 3)).OrderBy(x => x.Distance).ThenBy(x => x.Key, StringComparer.Ordinal).ToList();
        if (close.Count > 0) return $"unknown key; did you mean '{Full(close[0].Key)}'?";
        foreach (var p in Settable(owner))
        {
            var (inner, list) = Section(p.PropertyType);
            if (inner is not null && KeysOf(inner).Contains(name))
                return $"unknown key; did you mean '{Full(Name(p) + (list ? "[0]" : "") + "." + name)}'? ('{name}' belongs in {(list ? $"each item of '{Full(Name(p))}'" : $"'{Full(Name(p))}'")})";
        }
        return $"unknown key; {(parent.Length == 0 ? "the known keys here are" : $"'{parent}' has")} {string.Join(", ", keys)}";
    }

    /// <summary>The snake_case keys JSON can set on <paramref name="type"/>, in declaration order.</summary>
    public static IReadOnlyList<string> KeysOf(Type type) => Settable(type).Select(Name).ToList();

    private static IEnumerable<PropertyInfo> Settable(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.SetMethod is not null && p.GetIndexParameters().Length == 0 && p.GetCustomAttribute<JsonIgnoreAttribute>() is null);

    private static string Name(PropertyInfo p) => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name);

    /// <summary>A GiantSharp record a property holds (or holds a list of), or null for values.</summary>
    private static (Type? Inner, bool List) Section(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type.IsGenericType && type.GetGenericTypeDefinition() is var g && (g == typeof(IReadOnlyList<>) || g == typeof(List<>)))
            return (IsSection(type.GetGenericArguments()[0]) ? type.GetGenericArguments()[0] : null, true);
        return (IsSection(type) ? type : null, false);
    }

    private static bool IsSection(Type t) => t.IsClass && t != typeof(string) && t.Namespace?.StartsWith("GiantSharp", StringComparison.Ordinal) == true
        && t.GetCustomAttribute<JsonConverterAttribute>() is null;

    /// <summary>The dotted key of the object holding the member at <paramref name="path"/> ("$.model.d_modle" -> "model").</summary>
    private static string ParentKey(string? path)
    {
        var key = string.IsNullOrEmpty(path) ? "" : path.TrimStart('$', '.');
        var cut = key.LastIndexOf('.');
        return cut > 0 ? key[..cut] : "";
    }

    /// <summary>Replaces any .NET type name left in <paramref name="message"/> by "a value of another kind".</summary>
    /// <summary>A JSON syntax error as people count: "line 3, column 40: ',' is an invalid start of a property name. Expected a '"'."</summary>
    public static string Syntax(JsonException e)
    {
        var message = SyntaxPosition().Replace(e.Message.Split('\n')[0].Trim(), "").TrimEnd();
        return e.LineNumber is { } line ? $"line {line + 1}, column {(e.BytePositionInLine ?? 0) + 1}: {message}" : message;
    }

    [GeneratedRegex(@"\s*(Path: \S*)?\s*\|?\s*LineNumber: \d+ \| BytePositionInLine: \d+\.?$")]
    private static partial Regex SyntaxPosition();

    /// <summary>Removes .NET type names from <paramref name="message"/>.</summary>
    public static string WithoutTypeNames(string message) => DotNetTypeName().Replace(message, "the expected kind of value");

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
        if (type.IsGenericType && type.GetGenericTypeDefinition() is var d && (d == typeof(Dictionary<,>) || d == typeof(IReadOnlyDictionary<,>))) return "an object of names to values";
        return "an object";
    }

    /// <summary>The kind of value a .NET type name stands for, in words ("a whole number" for System.Int32); null for a name it does not know.</summary>
    public static string? KindNamed(string typeName) => TypeNamed(typeName) is { } type ? Expected(type) : null;

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

    [GeneratedRegex(@"The JSON property '(?<name>[^']+)' could not be mapped to any \.NET member contained in type '(?<type>[^']+)'")]
    private static partial Regex CouldNotMap();

    [GeneratedRegex(@"^System\.Nullable`1\[(?<inner>.+)\]$")]
    private static partial Regex NullableOf();

    [GeneratedRegex(@"'?\b(?:System|GiantSharp|Microsoft)\.[A-Za-z0-9_.`+]+(?:\[[^\]\s]*(?:\][^\]\s]*)?\])?'?")]
    private static partial Regex DotNetTypeName();

    [GeneratedRegex(@"\.(?<name>[A-Za-z_][A-Za-z0-9_]*)|\[(?<index>\d+)\]")]
    private static partial Regex PathStep();
}
