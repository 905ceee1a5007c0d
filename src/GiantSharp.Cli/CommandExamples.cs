using System.CommandLine;
using System.CommandLine.Invocation;

namespace GiantSharp.Cli;

/// <summary>
/// One example line per command, shown at the end of its description in <c>--help</c> ("Example:"). Paths are relative to
/// the repository root (the presets in configs/, Debian's fortunes-zh); the examples chain: prepare, then train, delink,
/// eval, generate, export, import on what the earlier ones wrote. Tests run the quick ones as written.
/// </summary>
internal static class CommandExamples
{
    /// <summary>The example of each command, by its path below <c>giant</c> (e.g. <c>bench train</c>).</summary>
    public static IReadOnlyDictionary<string, string> ByCommand { get; } = new Dictionary<string, string>
    {
        ["info"] = "giant info m6-10t",
        ["plan"] = "giant plan m6-10t --expert-parallel --zero-stage 2",
        ["plot"] = "giant plot runs/tang-tiny --out runs/tang-tiny-curves.png",
        ["prepare"] = "giant prepare /usr/share/games/fortunes/tang300 --out data/tang --tokenizer char",
        ["train"] = "giant train configs/tang-tiny.json --set stages[0].steps=10 --set stages[1].steps=10",
        ["delink"] = "giant delink runs/tang-tiny runs/tang-delinked --optimizer-state copy",
        ["export"] = "giant export runs/tang-tiny --format hf --out runs/tang-hf",
        ["import"] = "giant import runs/tang-hf --out runs/tang-imported",
        ["eval"] = "giant eval runs/tang-tiny data/tang --sequences 16",
        ["generate"] = "giant generate runs/tang-tiny --prompt 床前 --max-tokens 24 --seed 1",
        ["caption"] = "giant caption runs/m6-fashion/pseudo-to-real runs/m6-fashion/test-images.png",
        ["demo"] = "giant demo --preset m6-budget --seconds 60",
        ["bench"] = "giant bench train --preset gpt2-small-cpu --steps 3",
        ["bench train"] = "giant bench train --preset gpt2-small-cpu --steps 3 --dtype both",
        ["bench moe"] = "giant bench moe --d-model 64 --d-ff 256 --tokens 256 --iterations 2 --out \"\"",
        ["bench offload"] = "giant bench offload --tier disk --dir /tmp/giant-offload-bench --steps 4",
        ["bench disk"] = "giant bench disk --dir /nvme/giant --size 1GiB",
        ["bench parallel"] = "giant bench parallel --preset gpt2-small-cpu --ranks 2 --zero-stage 1",
        ["bench image-tokens"] = "giant bench image-tokens --data data/fashion-mnist --candidates 4x512,7x1024",
    };

    /// <summary>
    /// Makes <c>--help</c> of every command below <paramref name="root"/> end with that command's example, after the usual help.
    /// </summary>
    /// <remarks>A command without an example just shows its help (CommandExampleTests fails for it: every command gets one).</remarks>
    public static void Apply(RootCommand root)
    {
        var help = root.Options.OfType<System.CommandLine.Help.HelpOption>().Single();
        help.Action = new ExampleHelpAction((SynchronousCommandLineAction)help.Action!);
    }

    /// <summary>Every command's path below <paramref name="command"/>.</summary>
    public static IEnumerable<string> Paths(Command command, string path) => command.Subcommands.SelectMany(sub =>
    {
        var subPath = path.Length == 0 ? sub.Name : $"{path} {sub.Name}";
        return Paths(sub, subPath).Prepend(subPath);
    });

    private sealed class ExampleHelpAction(SynchronousCommandLineAction help) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            var code = help.Invoke(parseResult);
            var names = new List<string>();
            for (var c = parseResult.CommandResult; c.Parent is System.CommandLine.Parsing.CommandResult parent; c = parent) names.Insert(0, c.Command.Name);
            if (ByCommand.TryGetValue(string.Join(' ', names), out var example))
                parseResult.InvocationConfiguration.Output.WriteLine($"Example:{Environment.NewLine}  {example}{Environment.NewLine}");
            return code;
        }
    }
}
