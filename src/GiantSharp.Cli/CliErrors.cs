using GiantSharp.Errors;

namespace GiantSharp.Cli;

/// <summary>Turns GiantSharp errors into one line on stderr and a non-zero exit code.</summary>
internal static class CliErrors
{
    /// <summary>Exit code for a user error (bad config, data, checkpoint, room).</summary>
    public const int UserError = 2;
    /// <summary>Exit code for a disk that is full or unwritable.</summary>
    public const int IoError = 3;

    public static int Run(Func<int> body) => AbortOtherRanks(RunBody(body));

    // On several MPI ranks, a rank that fails ends them all at once (MPI_Abort) rather than leave them waiting in a collective.
    private static int AbortOtherRanks(int exitCode)
    {
        if (exitCode != 0 && Parallel.Communicator.Started is { IsDistributed: true } world)
        {
            Console.Error.WriteLine($"giant: rank {world.Rank} of {world.Size} failed (exit code {exitCode}); stopping every rank");
            Console.Error.Flush();
            world.Abort(exitCode);
        }
        return exitCode;
    }

    private static int RunBody(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (Unwrap(e) is GiantSharpException g)
        {
            Console.Error.WriteLine($"giant: error: {g.Message}");
            return UserError;
        }
        catch (Exception e) when (Unwrap(e) is IOException io)
        {
            Console.Error.WriteLine($"giant: I/O error: {io.Message}");
            return IoError;
        }
    }

    private static Exception Unwrap(Exception e)
    {
        while ((e is AggregateException || e is System.Reflection.TargetInvocationException) && e.InnerException is not null)
            e = e.InnerException;
        return e;
    }
}
