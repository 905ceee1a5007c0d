using System.CommandLine;
using GiantSharp.Cli;

// The giant CLI: a thin layer over the GiantSharp engine. Each command lives in Commands/ and
// returns its System.CommandLine Command; errors are reported by CliErrors as one line + exit code.
var root = new RootCommand("GiantSharp: Pseudo-to-Real pretraining of giant transformers (M6-10T) on TorchSharp.");
root.Options.Add(new Option<bool>("--verbose") { Description = "On an error, print its stack trace after the one-line message.", Recursive = true });
foreach (var command in CommandCatalog.All())
    root.Subcommands.Add(command);
CommandExamples.Apply(root);
var parsed = root.Parse(args);
if (parsed.Errors.Count > 0 && args.Length > 0)
{
    // A usage error is a bad input like any other: one line naming what is wrong, exit code 2 (docs/exit-codes.md).
    Console.Error.WriteLine($"giant: error: {UsageErrors.Describe(parsed)}");
    return CliErrors.UserError;
}
return CliErrors.Run(() => parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false }), verbose: args.Contains("--verbose"));
