using GiantSharp.Errors;

namespace GiantSharp.Cli;

/// <summary>
/// The CLI's top-level handler: every exception becomes one line on stderr (naming the key, option or file when the
/// error knows it) and an exit code that says what kind of failure it was; <c>--verbose</c> adds the stack trace.
/// The codes are listed in docs/exit-codes.md.
/// </summary>
internal static class CliErrors
{
    /// <summary>Exit code of an unexpected error (a bug in GiantSharp or a library it calls); sysexits' EX_SOFTWARE.</summary>
    public const int InternalError = 70;
    /// <summary>Exit code for an invalid config key, command-line option or value.</summary>
    public const int UserError = 2;
    /// <summary>Exit code for a disk that is full or a path that is unwritable or unreadable.</summary>
    public const int IoError = 3;
    /// <summary>Exit code for an input or checkpoint file that is missing, corrupt, or does not match (corpus, shard, checkpoint).</summary>
    public const int DataError = 4;
    /// <summary>Exit code of a run stopped because its loss or gradient norm became non-finite.</summary>
    public const int Diverged = 5;
    /// <summary>Exit code of a run that refused to touch an existing run's files (give --resume or --overwrite).</summary>
    public const int Refused = 6;

    /// <summary>Runs <paramref name="body"/>; its exceptions become one line and an exit code. On several MPI ranks, a failing rank stops them all.</summary>
    /// <param name="body">The command.</param>
    /// <param name="verbose">Print the stack trace as well.</param>
    public static int Run(Func<int> body, bool verbose = false) => AbortOtherRanks(RunBody(body, verbose));

    // On several MPI ranks, a rank that fails ends them all at once (MPI_Abort) rather than leave them waiting in a collective.
    private static int AbortOtherRanks(int exitCode)
    {
        if (exitCode != 0 && Parallel.Communicator.Started is { IsDistributed: true } world)
        {
            Console.Error.WriteLine($"giant: rank {world.Rank} of {world.Size} failed (exit code {exitCode}); stopping every rank");
            Console.Error.Flush();
            // A bad config fails every rank at once: give the others a moment to print their own line before the abort ends them.
            Thread.Sleep(TimeSpan.FromSeconds(1));
            world.Abort(exitCode);
        }
        return exitCode;
    }

    private static int RunBody(Func<int> body, bool verbose)
    {
        try
        {
            return body();
        }
        catch (Exception e)
        {
            var inner = Unwrap(e);
            var (code, line) = Describe(inner);
            Console.Error.WriteLine("giant: " + OneLine(line) + (verbose || code != InternalError ? "" : " (run with --verbose for the stack trace)"));
            if (verbose) Console.Error.WriteLine(inner.ToString());
            return code;
        }
    }

    /// <summary>The exit code and message for <paramref name="e"/>.</summary>
    public static (int Code, string Line) Describe(Exception e) => e switch
    {
        TrainingDivergedException => (Diverged, $"error: {e.Message}"),
        RunFolderInUseException => (Refused, $"error: {e.Message}"),
        ConfigException => (UserError, $"error: {e.Message}"),
        DataException d when d.InnerException is IOException or UnauthorizedAccessException && !IsCorruption(d.InnerException) => (IoError, $"I/O error: {e.Message}"),
        DataException => (DataError, $"error: {e.Message}"),
        GiantSharpException => (UserError, $"error: {e.Message}"),
        UnauthorizedAccessException => (IoError, $"I/O error: {e.Message}"),
        FileNotFoundException f => (DataError, $"error: {f.FileName ?? ""}: file not found ({e.Message})"),
        DirectoryNotFoundException => (DataError, $"error: {e.Message}"),
        IOException => (IoError, $"I/O error: {e.Message}"),
        OutOfMemoryException => (IoError, $"out of memory: {e.Message}"),
        _ => (InternalError, $"internal error: {e.GetType().Name}: {e.Message}"),
    };

    private static bool IsCorruption(Exception e) => e is EndOfStreamException or InvalidDataException;

    private static string OneLine(string message)
    {
        var lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? "" : lines.Length == 1 ? lines[0] : string.Join(" | ", lines.Take(3));
    }

    private static Exception Unwrap(Exception e)
    {
        while ((e is AggregateException || e is System.Reflection.TargetInvocationException || e is TypeInitializationException) && e.InnerException is not null)
            e = e.InnerException;
        return e;
    }
}
