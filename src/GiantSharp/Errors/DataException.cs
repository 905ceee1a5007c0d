namespace GiantSharp.Errors;

/// <summary>A problem with an input or output file (corpus, shard, checkpoint, offload store). <see cref="Path"/> names it.</summary>
public sealed class DataException : GiantSharpException
{
    public DataException(string path, string problem) : base($"{path}: {problem}") => Path = path;
    public DataException(string path, string problem, Exception inner) : base($"{path}: {problem}", inner) => Path = path;

    /// <summary>The file or folder at fault.</summary>
    public string Path { get; }
}
