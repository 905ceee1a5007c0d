namespace GiantSharp.Errors;

/// <summary>
/// Base of every error GiantSharp reports to a user: bad config, bad data, mismatched checkpoint,
/// a tier without room. Its message is one line that names the config key or file at fault; the CLI
/// prints it and exits non-zero without a stack trace.
/// </summary>
public class GiantSharpException : Exception
{
    public GiantSharpException(string message) : base(message) { }
    public GiantSharpException(string message, Exception inner) : base(message, inner) { }
}
