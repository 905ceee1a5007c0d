using GiantSharp.Config;
using Spectre.Console;

namespace GiantSharp.Cli;

/// <summary>Prints a generated sample from the final checkpoint of each run (filled in with the sampler).</summary>
internal static class Samples
{
    public static void Print(IReadOnlyList<(string Name, string OutDir)> runs, RunConfig config)
    {
    }
}
