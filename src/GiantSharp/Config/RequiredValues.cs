using System.Collections;
using System.Reflection;
using System.Text.Json;

namespace GiantSharp.Config;

/// <summary>
/// Finds a <c>null</c> where a config or state file must hold a value (<c>--set stages=null</c>, <c>"model": null</c>,
/// a null list item): JSON deserialisation lets them through to non-nullable properties, where they would fail
/// later as a NullReferenceException. Walks GiantSharp records by reflection, following nullable annotations.
/// </summary>
internal static class RequiredValues
{
    private static readonly NullabilityInfoContext Nullability = new();

    /// <summary>The snake_case key of the first null that must not be null under <paramref name="root"/>, or null when there is none.</summary>
    /// <param name="root">A deserialised config or state record.</param>
    /// <param name="prefix">Key of <paramref name="root"/> ("" at the top).</param>
    public static string? FirstMissing(object root, string prefix = "")
    {
        foreach (var p in root.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (p.GetIndexParameters().Length > 0 || p.SetMethod is null) continue;      // computed values are not read from JSON
            var key = prefix.Length == 0 ? JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name) : $"{prefix}.{JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name)}";
            var value = p.GetValue(root);
            if (value is null)
            {
                if (!p.PropertyType.IsValueType && Nullability.Create(p).ReadState == NullabilityState.NotNull) return key;
                continue;
            }
            if (Walk(value, key) is { } missing) return missing;
        }
        return null;
    }

    private static string? Walk(object value, string key)
    {
        var type = value.GetType();
        if (value is string || type.IsValueType) return null;
        if (value is IDictionary) return null;
        if (value is IEnumerable items)
        {
            int i = 0;
            foreach (var item in items)
            {
                if (item is null) return $"{key}[{i}]";
                if (Walk(item, $"{key}[{i}]") is { } missing) return missing;
                i++;
            }
            return null;
        }
        return type.Namespace?.StartsWith("GiantSharp", StringComparison.Ordinal) == true ? FirstMissing(value, key) : null;
    }
}
