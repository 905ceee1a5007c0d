using System.CommandLine;

namespace GiantSharp.Cli.Commands;

/// <summary><c>giant prepare</c>: UTF-8 text to token shards. (Being built: see issue 2, Data.)</summary>
internal static class PrepareCommand
{
    public static Command Create()
    {
        var command = new Command("prepare", "Tokenize UTF-8 text into memory-mapped token shards with a train/val split.");
        command.SetAction((ParseResult _) => { Console.Error.WriteLine("giant prepare: not built yet"); return 1; });
        return command;
    }
}
