using System.CommandLine;
using GiantSharp.Cli;

namespace GiantSharp.Tests.Cli;

/// <summary>
/// Every command's <c>--help</c> ends with one example line, and the quick examples run as written, in order, from a folder laid
/// out as the repository (configs/tang-tiny.json): prepare, train, delink, eval, generate, export, import, info, bench moe.
/// </summary>
public class CommandExampleTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Every_commands_help_ends_with_one_example_of_itself()
    {
        var root = new RootCommand();
        foreach (var command in CommandCatalog.All()) root.Subcommands.Add(command);
        CommandExamples.Apply(root);
        var paths = CommandExamples.Paths(root, "").ToList();
        Assert.Equal(CommandExamples.ByCommand.Keys.Order(), paths.Order());               // no command without, no example without a command
        foreach (var path in paths)
        {
            var help = new StringWriter();
            root.Parse([.. path.Split(' '), "--help"]).Invoke(new InvocationConfiguration { Output = help });
            var lines = help.ToString().Split('\n').Select(l => l.Trim()).ToList();
            Assert.Single(lines, l => l == "Example:");
            var example = lines[lines.IndexOf("Example:") + 1];
            Assert.StartsWith($"giant {(path == "bench" ? "bench train" : path)} ", example);
            Assert.Equal("Example:", lines.Last(l => l.Length > 0 && !l.StartsWith("giant ")));  // the last section
        }
    }

    private static readonly string[] Quick = ["prepare", "train", "plot", "delink", "eval", "generate", "export", "import", "info", "plan", "bench moe"];

    [Fact]
    public void The_quick_examples_run_as_written()
    {
        if (!File.Exists("/usr/share/games/fortunes/tang300")) Assert.Fail("fortunes-zh is not installed (scripts/setup.sh installs it)");
        Directory.CreateDirectory(Path.Combine(_dir.Path, "configs"));
        var repoConfigs = Path.Combine(AppContext.BaseDirectory, "configs");                    // the presets travel with the CLI
        File.Copy(Path.Combine(repoConfigs, "tang-tiny.json"), Path.Combine(_dir.Path, "configs", "tang-tiny.json"));
        foreach (var path in Quick)
        {
            var args = CommandLineWords(CommandExamples.ByCommand[path]).Skip(1).ToArray();   // without "giant"
            var r = GiantProcess.Run(_dir.Path, args);
            Assert.True(r.ExitCode == 0, $"{CommandExamples.ByCommand[path]}: exit {r.ExitCode}: {r.StdErr}");
        }
        Assert.True(File.Exists(Path.Combine(_dir.Path, "runs", "tang-hf", "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(_dir.Path, "runs", "tang-imported", "latest")));
        Assert.True(File.Exists(Path.Combine(_dir.Path, "runs", "tang-delinked", "latest")));
    }

    // Splits an example as a POSIX shell would for these lines: words separated by spaces, "" an empty word.
    private static IEnumerable<string> CommandLineWords(string line) =>
        line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(w => w == "\"\"" ? "" : w);
}
