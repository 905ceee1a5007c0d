namespace GiantSharp.Errors;

/// <summary>
/// A fresh run was pointed at a folder that already holds another run's checkpoints: it refuses rather than adopt
/// or prune them (the user resumes it with <c>--resume</c>, or replaces it with <c>--overwrite</c>). <see cref="Path"/> names the folder.
/// </summary>
public sealed class RunFolderInUseException : GiantSharpException
{
    public RunFolderInUseException(string path, string problem) : base($"{path}: {problem}") => Path = path;

    /// <summary>The run folder.</summary>
    public string Path { get; }
}
