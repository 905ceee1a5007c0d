namespace GiantSharp.Errors;

/// <summary>MPI could not be started, or a collective failed (e.g. another rank died): the run cannot go on.</summary>
public sealed class ParallelException : GiantSharpException
{
    public ParallelException(string problem) : base($"parallel: {problem}") { }
}
