using System.Text.RegularExpressions;
using GiantSharp.Checkpointing;
using GiantSharp.Errors;

namespace GiantSharp.Cli;

/// <summary>What <c>giant train</c> does with a run folder before it starts, and how it tells the user to continue.</summary>
internal static partial class RunFolder
{
    /// <summary>
    /// Lets a fresh run (no <c>--resume</c>) start in <paramref name="outDir"/>: refused when it holds an earlier run's
    /// checkpoints, which the new run would otherwise prune and shadow; with <paramref name="overwrite"/> they are deleted.
    /// </summary>
    /// <exception cref="RunFolderInUseException">The folder holds checkpoints and <paramref name="overwrite"/> is false.</exception>
    public static void ClaimForFreshRun(string outDir, bool overwrite)
    {
        var store = new CheckpointStore(Path.Combine(outDir, "checkpoints"));
        if (!store.HasCheckpoints()) return;
        if (!overwrite)
            throw new RunFolderInUseException(outDir, $"holds an earlier run's checkpoints ({store.Latest() ?? "see " + store.Root}); continue it with --resume {outDir}, start afresh with --overwrite, or choose another out_dir");
        Directory.Delete(store.Root, recursive: true);
    }

    /// <summary>
    /// The command that continues an interrupted run: the same arguments (config, every <c>--set</c>, threads, budget),
    /// with <c>--resume OUT_DIR</c> in place of any earlier <c>--resume</c> and without <c>--overwrite</c>, quoted for a POSIX shell.
    /// </summary>
    public static string ResumeCommand(IEnumerable<string> args, string outDir)
    {
        var kept = new List<string>();
        var list = args.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            if (list[i] == "--resume") { i++; continue; }
            if (list[i].StartsWith("--resume=", StringComparison.Ordinal) || list[i] == "--overwrite") continue;
            kept.Add(list[i]);
        }
        kept.Add("--resume");
        kept.Add(outDir);
        return "giant " + string.Join(' ', kept.Select(Quote));
    }

    private static string Quote(string arg) => SafeArgument().IsMatch(arg) ? arg : "'" + arg.Replace("'", "'\\''") + "'";

    [GeneratedRegex(@"^[A-Za-z0-9_./:=,+@%-]+$")]
    private static partial Regex SafeArgument();
}
