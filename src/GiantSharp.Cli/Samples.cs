using GiantSharp.Checkpointing;
using GiantSharp.Cli.Commands;
using GiantSharp.Config;
using Spectre.Console;

namespace GiantSharp.Cli;

/// <summary>Prints a generated sample from the final checkpoint of each run of a comparison (same prompt, seed and settings).</summary>
internal static class Samples
{
    public static void Print(IReadOnlyList<(string Name, string OutDir)> runs, string prompt, int maxTokens = 64)
    {
        foreach (var (name, outDir) in runs)
        {
            using var ckpt = LoadedCheckpoint.Open(outDir);
            var text = GenerateCommand.Sample(ckpt, prompt, maxTokens, temperature: 0.8, topK: 0, topP: 0.95, seed: 1);
            AnsiConsole.Write(new Panel(Markup.Escape(text)).Header(Markup.Escape($"{name}, step {ckpt.State.GlobalStep}")));
        }
    }
}
