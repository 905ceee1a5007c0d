using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using GiantSharp.Errors;

namespace GiantSharp.Config;

/// <summary>
/// Reads a <see cref="RunConfig"/> from JSON (snake_case keys, unknown keys rejected) and applies
/// command-line overrides of the form <c>key.path=value</c>, e.g. <c>stages[1].steps=500</c>.
/// </summary>
public static class ConfigLoader
{
    /// <summary>The JSON options used for every GiantSharp config and metadata file.</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower), new FiniteDoubleConverter() },
    };

    /// <summary>Loads, overrides and validates the config in <paramref name="path"/>.</summary>
    /// <exception cref="DataException">The file is missing or not JSON.</exception>
    /// <exception cref="ConfigException">A key is unknown, of the wrong type, or out of range.</exception>
    public static RunConfig Load(string path, IEnumerable<string>? overrides = null)
    {
        if (!File.Exists(path)) throw new DataException(path, "config file not found");
        JsonNode? node;
        try { node = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }); }
        catch (JsonException e) { throw new DataException(path, $"not valid JSON at {JsonErrorText.Syntax(e)}"); }
        if (node is not JsonObject obj) throw new DataException(path, "must hold a JSON object");
        return FromNode(obj, overrides, path);
    }

    /// <summary>Overrides and validates a config given as a JSON object (<paramref name="source"/> names it in errors).</summary>
    /// <exception cref="ConfigException">A key is unknown, of the wrong type, or out of range.</exception>
    public static RunConfig FromNode(JsonObject obj, IEnumerable<string>? overrides = null, string source = "config")
    {
        foreach (var o in overrides ?? []) ApplyOverride(obj, o);
        CheckBudgetKeys(obj);
        try
        {
            var parsed = obj.Deserialize<RunConfig>(JsonOptions) ?? throw new ConfigException("(root)", $"{source} is empty");
            if (RequiredValues.FirstMissing(parsed) is { } missing) throw new ConfigException(missing, $"must not be null (in {source})");
            var config = parsed.Validate();
            // A budget may need the disk tier: without offload.dir, its files go under the run's folder.
            return config.Offload is { MaxMemory: not null, Dir: null } o ? config with { Offload = o with { Dir = Path.Combine(config.OutDir, "offload") } } : config;
        }
        catch (JsonException e)
        {
            var key = string.IsNullOrEmpty(e.Path) ? "(root)" : e.Path.TrimStart('$', '.');
            throw new ConfigException(key, $"{JsonErrorText.Describe(e, obj)} (in {source})");
        }
    }

    /// <summary>Keys the memory planner decides when offload.max_memory is set; giving them too is ambiguous.</summary>
    public static readonly string[] PlannedKeys = ["params", "grads", "optimizer", "layers", "tensors", "prefetch", "keep_activations"];

    /// <summary>
    /// Removes the <see cref="PlannedKeys"/> a config serialised by <see cref="ToJson"/> carries beside
    /// offload.max_memory (every key of the section is written), so a checkpoint's own config reads back.
    /// </summary>
    public static void DropPlannedKeys(JsonObject root)
    {
        if (root["offload"] is not JsonObject offload || offload["max_memory"] is null) return;
        foreach (var key in PlannedKeys) offload.Remove(key);
    }

    private static void CheckBudgetKeys(JsonObject root)
    {
        if (root["offload"] is not JsonObject offload || offload["max_memory"] is null) return;
        var both = PlannedKeys.FirstOrDefault(k => offload[k] is not null);
        if (both is not null)
            throw new ConfigException($"offload.{both}", "is decided by the memory planner when offload.max_memory is set: give one or the other (--set offload." + both + "=null drops it)");
    }

    /// <summary>
    /// The file <paramref name="nameOrPath"/> stands for: an existing path, or a preset name (with or without
    /// <c>.json</c>) looked up as <c>configs/NAME.json</c> under the current folder, then under the app's folder.
    /// </summary>
    /// <exception cref="DataException">Neither a file nor a preset of that name exists.</exception>
    public static string Resolve(string nameOrPath)
    {
        if (File.Exists(nameOrPath)) return Path.GetFullPath(nameOrPath);
        var file = nameOrPath.EndsWith(".json", StringComparison.Ordinal) ? nameOrPath : nameOrPath + ".json";
        var candidates = new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory }
            .Select(dir => Path.Combine(dir, "configs", file)).ToList();
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new DataException(nameOrPath, $"no such file or preset (looked for {string.Join(", ", candidates)})");
    }

    /// <summary>Serialises a config to JSON (snake_case), e.g. to store it in a checkpoint.</summary>
    public static string ToJson(RunConfig config) => JsonSerializer.Serialize(config, JsonOptions);

    /// <summary>Sets <c>a.b[2].c=value</c> in <paramref name="root"/>; the value is JSON when it parses as JSON (<c>null</c> included), else a string.</summary>
    /// <exception cref="ConfigException">The override is not of the form key=value or walks through a missing list item.</exception>
    public static void ApplyOverride(JsonObject root, string assignment)
    {
        var eq = assignment.IndexOf('=');
        if (eq <= 0) throw new ConfigException(assignment, "an override must look like key.path=value");
        var path = assignment[..eq].Trim();
        var raw = assignment[(eq + 1)..];
        JsonNode? value;                                                    // null: JSON null (e.g. offload=null drops the section)
        try { value = raw.Trim() == "null" ? null : JsonNode.Parse(raw) ?? JsonValue.Create(raw)!; }
        catch (JsonException) { value = JsonValue.Create(raw)!; }

        JsonNode current = root;
        var parts = path.Split('.');
        for (int i = 0; i < parts.Length; i++)
        {
            var (name, index) = SplitIndex(parts[i], path);
            var obj = current as JsonObject ?? throw new ConfigException(path, $"'{name}' is not inside an object");
            bool last = i == parts.Length - 1;
            if (index is null)
            {
                if (last) { obj[name] = value; return; }
                current = obj[name] ??= new JsonObject();
                continue;
            }
            var list = obj[name] as JsonArray ?? throw new ConfigException(path, $"'{name}' is not a list");
            if (index.Value >= list.Count) throw new ConfigException(path, $"'{name}' has {list.Count} items, no [{index}]");
            if (last) { list[index.Value] = value; return; }
            current = list[index.Value]!;
        }
    }

    private static (string Name, int? Index) SplitIndex(string part, string path)
    {
        var open = part.IndexOf('[');
        if (open < 0) return (part, null);
        if (!part.EndsWith(']') || !int.TryParse(part[(open + 1)..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            throw new ConfigException(path, $"bad list index in '{part}'");
        return (part[..open], index);
    }
}
