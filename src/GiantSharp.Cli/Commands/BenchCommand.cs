using System.CommandLine;
using GiantSharp.Bench;
using Spectre.Console;

namespace GiantSharp.Cli.Commands;

/// <summary>
/// <c>giant bench</c>: performance measurements. Each benchmark is a subcommand in its own file; to add one,
/// add its <c>Create()</c> to <see cref="Subcommands"/>. The options and output every benchmark shares
/// (--threads, --out FILE) and the report (a table against the targets; the section written only with --out) are made here.
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

    /// <summary>--out: the Markdown file whose section the benchmark replaces; without it nothing is written.</summary>
    public static Option<string?> OutOption() => new("--out")
    {
        Description = "Markdown file (e.g. docs/benchmarks.md) whose section for this benchmark is replaced, or appended; without it nothing is written",
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

    /// <summary>
    /// Prints the table of <paramref name="targets"/> (measure, value, target, met / not met; "no target" when empty), then
    /// writes <paramref name="body"/> as section <paramref name="title"/> of <paramref name="outPath"/> when one was given
    /// (--out), and says which; without it nothing is written.
    /// </summary>
    public static void Report(IReadOnlyList<BenchTarget> targets, string? outPath, string title, string body)
    {
        var table = new Table().Title("against the targets").AddColumn("measure").AddColumn(new TableColumn("value").RightAligned())
            .AddColumn(new TableColumn("target").RightAligned()).AddColumn("verdict");
        foreach (var t in targets)
            table.AddRow(Markup.Escape(t.Measure), t.ValueText, Markup.Escape(t.TargetText), t.Met ? "[green]met[/]" : "[red]not met[/]");
        if (targets.Count == 0) table.AddRow("no target: a comparison", "", "", "");
        table.Caption(Markup.Escape(StepTiming.Meaning));
        AnsiConsole.Write(table);
        if (string.IsNullOrEmpty(outPath))
        {
            Console.WriteLine($"not written to a file (--out docs/benchmarks.md records it as section \"{title}\")");
            return;
        }
        BenchmarkDocument.WriteSection(outPath, title, body);
        Console.WriteLine($"wrote section \"{title}\" of {outPath}");
    }
}
