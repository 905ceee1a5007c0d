using System.CommandLine;
using GiantSharp.Cli;

// The giant CLI: a thin layer over the GiantSharp engine. Each command lives in Commands/ and
// returns its System.CommandLine Command; errors are reported by CliErrors as one line + exit code.
var root = new RootCommand("GiantSharp: Pseudo-to-Real pretraining of giant transformers (M6-10T) on TorchSharp.");
root.Options.Add(new Option<bool>("--verbose") { Description = "On an error, print its stack trace after the one-line message.", Recursive = true });
foreach (var command in CommandCatalog.All())
    root.Subcommands.Add(command);
return CliErrors.Run(() =>
{
    var parsed = root.Parse(args);
    return CliErrors.ParseErrorsNamingTypes(parsed) ?? parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}, verbose: args.Contains("--verbose"));
