using System.Text.RegularExpressions;
using GiantSharp.Checkpointing;
using GiantSharp.Errors;

namespace GiantSharp.Cli;

/// <summary>
/// What <c>giant train</c> and <c>giant demo</c> do with their folders before they start, and how train tells the user to
/// continue. A folder <c>giant train</c> writes carries <see cref="TrainMarker"/>; one <c>giant demo</c> owns carries
/// <see cref="DemoMarker"/>: the demo replaces only its own folders, and never one that holds a train run.
/// </summary>
internal static partial class RunFolder
{
    /// <summary>File marking a run folder of <c>giant train</c>.</summary>
    public const string TrainMarker = ".giant-train";
    /// <summary>File marking a folder <c>giant demo</c> made and may replace.</summary>
    public const string DemoMarker = ".giant-demo";

    /// <summary>Marks <paramref name="outDir"/> as a <c>giant train</c> run folder (created if missing), so no demo ever replaces it.</summary>
    public static void MarkTrainRun(string outDir)
    {
        Directory.CreateDirectory(outDir);
        File.WriteAllText(Path.Combine(outDir, TrainMarker), "a giant train run: giant demo never replaces this folder\n");
    }

    /// <summary>Removes <paramref name="outDir"/> when it holds nothing but the train marker (a run refused before it wrote anything).</summary>
    public static void RemoveIfOnlyMarked(string outDir)
    {
        try
        {
            if (Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Select(Path.GetFileName).SequenceEqual([TrainMarker]))
                Directory.Delete(outDir, recursive: true);
        }
        catch (IOException) { }                                              // best effort: the error being reported matters more
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>
    /// Gives <c>giant demo</c> the folder <paramref name="outDir"/>, empty and marked as the demo's: a missing or empty
    /// folder is made; one the demo made before is replaced, unless a <c>giant train</c> run has been put inside it since.
    /// </summary>
    /// <exception cref="RunFolderInUseException">The folder holds a <c>giant train</c> run or checkpoints, or is another non-empty folder the demo did not make.</exception>
    public static void ClaimForDemo(string outDir)
    {
        if (Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any())
        {
            if (Directory.EnumerateFiles(outDir, TrainMarker, SearchOption.AllDirectories).FirstOrDefault() is { } train)
                throw new RunFolderInUseException(outDir, $"holds a giant train run ({Path.GetDirectoryName(train)}); giant demo never replaces one: choose another --out");
            if (!File.Exists(Path.Combine(outDir, DemoMarker)))
            {
                var store = Directory.EnumerateFiles(outDir, CheckpointStore.LatestFileName, SearchOption.AllDirectories).FirstOrDefault();
                throw new RunFolderInUseException(outDir, store is not null
                    ? $"holds checkpoints ({Path.GetDirectoryName(store)}) and was not made by giant demo, which never replaces them: choose another --out"
                    : "is not empty and was not made by giant demo, which replaces only its own folders: choose another --out, or empty it");
            }
            Directory.Delete(outDir, recursive: true);
        }
        Directory.CreateDirectory(outDir);
        File.WriteAllText(Path.Combine(outDir, DemoMarker), "made by giant demo: its next run of this preset replaces this folder\n");
    }

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
    /// Before <c>--resume</c>: a checkpoint from outside <paramref name="outDir"/> starts this folder's history afresh, so an
    /// earlier run's checkpoints and metrics there are refused as for a fresh run (<see cref="ClaimForFreshRun"/>): resuming
    /// another folder's checkpoint must not rewrite a finished run's metrics.jsonl.
    /// </summary>
    /// <exception cref="RunFolderInUseException">The checkpoint is outside <paramref name="outDir"/>, which holds an earlier run, and <paramref name="overwrite"/> is false.</exception>
    public static void ClaimForResume(string outDir, string resume, bool overwrite)
    {
        var root = Path.GetFullPath(outDir).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        var source = Path.GetFullPath(resume).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        if (source.StartsWith(root, StringComparison.Ordinal)) return;
        ClaimForFreshRun(outDir, overwrite);
    }

    /// <summary>Refuses <c>--resume</c> of a run that has nothing left to train under <paramref name="run"/>'s stages.</summary>
    /// <exception cref="ConfigException">Key <c>--resume</c>: the checkpoint is at or past the last stage's end; the message says the step and what to do instead.</exception>
    public static void CheckLeftToTrain(Config.RunConfig run, TrainState state, string resume)
    {
        if (state.GlobalStep < run.TotalSteps) return;
        var dir = CheckpointStore.Resolve(resume);
        int last = run.Stages.Count - 1;
        int done = state.GlobalStep - (run.TotalSteps - run.Stages[last].Steps);       // steps the last stage has taken
        throw new ConfigException("--resume", $"the run in {resume} is complete at step {state.GlobalStep} (its stages end at {run.TotalSteps}), nothing left to train: " +
            $"give its last stage more steps (e.g. --set stages[{last}].steps={done + run.Stages[last].Steps}) or start a new run from its weights with --init-from {dir}");
    }

    /// <summary>Refuses <c>--init-from</c> a checkpoint that <c>--overwrite</c> would delete before it is read (one in <paramref name="outDir"/>'s checkpoints).</summary>
    /// <exception cref="ConfigException">Key <c>--init-from</c>.</exception>
    public static void CheckInitSurvives(string outDir, string initFrom, bool overwrite)
    {
        var store = Path.GetFullPath(Path.Combine(outDir, "checkpoints")) + Path.DirectorySeparatorChar;
        if (overwrite && (Path.GetFullPath(CheckpointStore.Resolve(initFrom)) + Path.DirectorySeparatorChar).StartsWith(store, StringComparison.Ordinal))
            throw new ConfigException("--init-from", $"{initFrom} lies in {store}, which --overwrite deletes first: copy it elsewhere, or choose another out_dir");
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
