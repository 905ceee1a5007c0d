using System.CommandLine;
using GiantSharp.Bench;

namespace GiantSharp.Cli.Commands;

/// <summary>
/// <c>giant bench</c>: performance measurements. Each benchmark is a subcommand in its own file; to add one,
/// add its <c>Create()</c> to <see cref="Subcommands"/>. The options and output every benchmark shares
/// (--threads, --out docs/benchmarks.md) are made here.
/// </summary>
internal static class BenchCommand
{
    private static IEnumerable<Command> Subcommands()
    {
        yield return BenchTrainCommand.Create();
        yield return BenchMoeCommand.Create();
        yield return BenchOffloadCommand.Create();
        yield return BenchDiskCommand.Create();
        yield return BenchImageTokensCommand.Create();
        yield return BenchParallelCommand.Create();
    }

    public static Command Create()
    {
        var command = new Command("bench", "Measure performance: training throughput and MFU against the machine's measured matmul peak.");
        foreach (var sub in Subcommands()) command.Subcommands.Add(sub);
        return command;
    }

    /// <summary>--threads (shared with every command).</summary>
    public static Option<int> ThreadsOption() => CommonOptions.Threads();

    /// <summary>--out: the Markdown file whose section the benchmark replaces; empty to write nothing.</summary>
    public static Option<string> OutOption() => new("--out")
    {
        Description = "Markdown file whose section for this benchmark is replaced or appended (\"\" writes nothing)",
        DefaultValueFactory = _ => "docs/benchmarks.md",
    };

    /// <summary>Sets libtorch's thread count (see <see cref="CommonOptions.Apply"/>).</summary>
    /// <exception cref="Errors.ConfigException"><paramref name="threads"/> &lt; 1.</exception>
    public static void SetThreads(int threads) => CommonOptions.Apply(threads, "cpu");

    /// <summary>The command line as typed, for the record: <c>giant bench ...</c>.</summary>
    public static string CommandLine(ParseResult result)
    {
        var commands = new List<string>();
        for (var c = result.CommandResult; c is not null && c.Command is not RootCommand; c = c.Parent as System.CommandLine.Parsing.CommandResult)
            commands.Insert(0, c.Command.Name);
        var arguments = result.Tokens.Where(t => t.Type != System.CommandLine.Parsing.TokenType.Command)
            .Select(t => t.Value.Contains(' ') ? $"\"{t.Value}\"" : t.Value);
        return string.Join(' ', commands.Prepend("giant").Concat(arguments));
    }

    /// <summary>Writes <paramref name="body"/> as section <paramref name="title"/> of <paramref name="outPath"/> (nothing when empty) and says so.</summary>
    public static void WriteSection(string outPath, string title, string body)
    {
        if (string.IsNullOrEmpty(outPath)) return;
        BenchmarkDocument.WriteSection(outPath, title, body);
        Console.WriteLine($"wrote section \"{title}\" of {outPath}");
    }
}
