using GiantSharp.Errors;

namespace GiantSharp.Cli;

/// <summary>Finds a preset config by name (<c>configs/NAME.json</c> under the current folder, then beside the app) or by path.</summary>
internal static class Presets
{
    /// <summary>The path of preset <paramref name="nameOrPath"/>.</summary>
    /// <exception cref="DataException">No such file.</exception>
    public static string Resolve(string nameOrPath)
    {
        if (File.Exists(nameOrPath)) return nameOrPath;
        var file = nameOrPath.EndsWith(".json", StringComparison.Ordinal) ? nameOrPath : nameOrPath + ".json";
        foreach (var dir in new[] { Path.Combine(Environment.CurrentDirectory, "configs"), Path.Combine(AppContext.BaseDirectory, "configs") })
        {
            var candidate = Path.Combine(dir, file);
            if (File.Exists(candidate)) return candidate;
        }
        throw new DataException(nameOrPath, $"no such config file or preset (looked in ./configs and {Path.Combine(AppContext.BaseDirectory, "configs")})");
    }
}
