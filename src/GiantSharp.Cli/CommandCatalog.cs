using System.CommandLine;
using GiantSharp.Cli.Commands;

namespace GiantSharp.Cli;

/// <summary>Every subcommand of <c>giant</c>, in the order <c>giant --help</c> lists them.</summary>
internal static class CommandCatalog
{
    public static IEnumerable<Command> All()
    {
        yield return PrepareCommand.Create();
        yield return BenchCommand.Create();
    }
}
