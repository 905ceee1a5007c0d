namespace GiantSharp.Errors;

/// <summary>An invalid configuration value. <see cref="Key"/> is the snake_case key at fault, e.g. <c>model.n_head</c>.</summary>
public sealed class ConfigException : GiantSharpException
{
    public ConfigException(string key, string problem) : base($"config '{key}': {problem}") => Key = key;

    /// <summary>The dotted snake_case key at fault, e.g. <c>stages[1].global_batch</c>.</summary>
    public string Key { get; }
}
