using System.CommandLine;
using GiantSharp.Cli.Commands;

namespace GiantSharp.Cli;

/// <summary>Every subcommand of <c>giant</c>, in the order <c>giant --help</c> lists them.</summary>
internal static class CommandCatalog
{
    public static IEnumerable<Command> All()
    {
        yield return InfoCommand.Create();
        yield return PlanCommand.Create();
        yield return PrepareCommand.Create();
        yield return TrainCommand.Create();
        yield return DelinkCommand.Create();
        yield return ExportCommand.Create();
        yield return ImportCommand.Create();
        yield return EvalCommand.Create();
        yield return GenerateCommand.Create();
        yield return CaptionCommand.Create();
        yield return DemoCommand.Create();
        yield return PlotCommand.Create();
        yield return BenchCommand.Create();
    }
}
