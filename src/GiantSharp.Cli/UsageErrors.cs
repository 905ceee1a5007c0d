using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;

namespace GiantSharp.Cli;

/// <summary>
/// The one line <c>giant</c> prints for a command line System.CommandLine cannot parse (an unknown option, a missing
/// argument, a value of the wrong type), in the user's words: the option and the kind of value it takes, never a .NET
/// type name, and where to read the usage.
/// </summary>
internal static partial class UsageErrors
{
    /// <summary>The first parse error of <paramref name="parsed"/> with a pointer to the command's help.</summary>
    public static string Describe(ParseResult parsed)
    {
        var names = new List<string>();
        for (SymbolResult? r = parsed.CommandResult; r is not null; r = r.Parent)
            if (r is CommandResult c && c.Command is not RootCommand) names.Insert(0, c.Command.Name);
        var help = names.Count == 0 ? "giant --help" : $"giant {string.Join(' ', names)} --help";
        var unknown = parsed.UnmatchedTokens;
        var first = unknown.Count > 0
            ? $"unknown {(unknown.Count == 1 ? "option or argument" : "options or arguments")} {string.Join(", ", unknown.Select(t => $"'{t}'"))}."
            : Plain(parsed.Errors[0].Message);
        return $"{first} (see '{help}')";
    }

    /// <summary><paramref name="message"/> with "as expected type 'System.Int32'" and the like said in words (the config errors' own wording, <see cref="Config.JsonErrorText"/>).</summary>
    public static string Plain(string message) =>
        TypeName().Replace(message, m => Config.JsonErrorText.KindNamed(m.Groups[1].Value) ?? "a value of the right kind").TrimEnd('.') + ".";

    [GeneratedRegex(@"expected type '([^']+)'")]
    private static partial Regex TypeName();
}
