using System.Text.Json;
using GiantSharp.Config;
using GiantSharp.Errors;
using GiantSharp.Model;
using GiantSharp.Training.Optim;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace GiantSharp.Checkpointing;

/// <summary>
/// Checkpoints as folders of named parts (torchtitan): <c>model.safetensors</c>, <c>optimizer.safetensors</c>
/// (<c>exp_avg.NAME</c>, <c>exp_avg_sq.NAME</c>) and <c>state.json</c> (<see cref="TrainState"/>), under
/// <c>{root}/step-NNNNNNNN</c>, with <c>{root}/latest</c> naming the newest. A checkpoint is written into a
/// temporary folder and renamed into place, and <c>latest</c> is replaced by rename, so a failed save
/// (disk full, I/O error) leaves the last good checkpoint intact. An offloaded run adds the part
/// <c>offload/</c> (the offload store's snapshot) and leaves the streamed parameters out of <c>model.safetensors</c>
/// (<see cref="TrainState.Offloaded"/>).
/// </summary>
public sealed class CheckpointStore
{
    /// <summary>File naming the newest checkpoint folder.</summary>
    public const string LatestFileName = "latest";
    /// <summary>Folder, inside a checkpoint, of the offload part.</summary>
    public const string OffloadPart = "offload";
    private const string ModelFile = "model.safetensors", OptimizerFile = "optimizer.safetensors", StateFile = "state.json";

    /// <summary>A store under <paramref name="root"/> (created on first save).</summary>
    public CheckpointStore(string root) => Root = root;

    /// <summary>Folder holding the checkpoints.</summary>
    public string Root { get; }

    /// <summary>Test hook: called between writing the parts and publishing the checkpoint.</summary>
    internal Action<string>? BeforePublish { get; set; }

    /// <summary>Saves a checkpoint and prunes all but the newest <paramref name="keep"/>.</summary>
    /// <param name="model">The model; parameters named in <see cref="TrainState.Offloaded"/> are left out.</param>
    /// <param name="optimizer">The optimizer (its state of resident parameters).</param>
    /// <param name="state">Where the run stands.</param>
    /// <param name="keep">Checkpoints to keep, newest first.</param>
    /// <param name="writeOffloadPart">Writes the offload part into the folder it is given; required when <see cref="TrainState.Offloaded"/> is not empty.</param>
    /// <returns>The checkpoint folder.</returns>
    /// <exception cref="DataException">It could not be written; the previous checkpoint is untouched.</exception>
    /// <exception cref="ArgumentException">Parameters are offloaded but no <paramref name="writeOffloadPart"/> is given.</exception>
    public string Save(GptModel model, AdamW optimizer, TrainState state, int keep, Action<string>? writeOffloadPart = null)
    {
        if (state.Offloaded.Length > 0 && writeOffloadPart is null)
            throw new ArgumentException("offloaded parameters need an offload part writer", nameof(writeOffloadPart));
        var final = Path.Combine(Root, $"step-{state.GlobalStep:D8}");
        var temp = Path.Combine(Root, $".tmp-step-{state.GlobalStep:D8}-{Guid.NewGuid():N}");
        try
        {
            SweepLeftovers();
            Directory.CreateDirectory(temp);
            var offloaded = state.Offloaded.ToHashSet(StringComparer.Ordinal);
            var weights = model.state_dict().Where(kv => !offloaded.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value);
            Safetensors.SaveStateDict(Path.Combine(temp, ModelFile), weights);
            writeOffloadPart?.Invoke(Path.Combine(temp, OffloadPart));
            var opt = new Dictionary<string, Tensor>();
            foreach (var (name, st) in optimizer.State)
            {
                opt[$"exp_avg.{name}"] = st.ExpAvg;
                opt[$"exp_avg_sq.{name}"] = st.ExpAvgSq;
            }
            Safetensors.SaveStateDict(Path.Combine(temp, OptimizerFile), opt);
            var withSteps = state with
            {
                OptimizerSteps = optimizer.State.ToDictionary(kv => kv.Key, kv => kv.Value.Step),
                Checksums = CheckpointChecksums.Of(temp, except: StateFile),
            };
            WriteDurably(Path.Combine(temp, StateFile), JsonSerializer.Serialize(withSteps, ConfigLoader.JsonOptions));
            BeforePublish?.Invoke(temp);
            string? replaced = null;                                        // the same step saved again: swap by renames, delete after
            if (Directory.Exists(final)) Directory.Move(final, replaced = Path.Combine(Root, $".trash-{Path.GetFileName(final)}-{Guid.NewGuid():N}"));
            Directory.Move(temp, final);
            if (replaced is not null) TryDelete(replaced);
            var latestTemp = Path.Combine(Root, $".{LatestFileName}.{Guid.NewGuid():N}");
            WriteDurably(latestTemp, Path.GetFileName(final));
            File.Move(latestTemp, Path.Combine(Root, LatestFileName), overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DataException)
        {
            TryDelete(temp);
            var kept = Latest();
            throw new DataException(final, $"could not write checkpoint ({e.Message}); {(kept is null ? "no earlier checkpoint" : $"last good checkpoint kept: {kept}")}", e);
        }
        Prune(keep);
        return final;
    }

    /// <summary>The newest checkpoint folder, or null when there is none.</summary>
    public string? Latest()
    {
        var latest = Path.Combine(Root, LatestFileName);
        if (!File.Exists(latest)) return null;
        var dir = Path.Combine(Root, File.ReadAllText(latest).Trim());
        return Directory.Exists(dir) ? dir : null;
    }

    /// <summary>
    /// Resolves <paramref name="path"/> to a checkpoint folder: a checkpoint folder itself, or a store root
    /// or run folder (its <c>checkpoints/latest</c>).
    /// </summary>
    /// <exception cref="DataException">No checkpoint is there.</exception>
    public static string Resolve(string path)
    {
        if (File.Exists(Path.Combine(path, StateFile))) return path;
        foreach (var root in new[] { path, Path.Combine(path, "checkpoints") })
            if (new CheckpointStore(root).Latest() is { } latest) return latest;
        throw new DataException(path, "no checkpoint here (expected state.json, or a 'latest' file naming one)");
    }

    /// <summary>Reads a checkpoint's train state and config.</summary>
    /// <exception cref="DataException">A part is missing or unreadable.</exception>
    public static (TrainState State, RunConfig Config) ReadState(string dir)
    {
        var file = Path.Combine(dir, StateFile);
        if (!File.Exists(file)) throw new DataException(file, "checkpoint state not found");
        try
        {
            var state = JsonSerializer.Deserialize<TrainState>(File.ReadAllText(file), ConfigLoader.JsonOptions)
                ?? throw new DataException(file, "checkpoint state is null");
            if (state.ConfigJson is null || System.Text.Json.Nodes.JsonNode.Parse(state.ConfigJson) is not System.Text.Json.Nodes.JsonObject node)
                throw new DataException(file, "'config_json' must hold the run's config as a JSON object");
            ConfigLoader.DropPlannedKeys(node);                            // a budgeted run's config is saved with every offload key
            var config = ConfigLoader.FromNode(node, source: file);
            TrainStateCheck.Check(file, state, config);
            CheckpointChecksums.Verify(dir, state.Checksums);
            return (state, config);
        }
        catch (JsonException e)
        {
            var key = string.IsNullOrEmpty(e.Path) ? "" : $" at '{e.Path.TrimStart('$', '.')}'";
            throw new DataException(file, $"unreadable checkpoint state{key}: {JsonErrorText.Describe(e, null)}");
        }
    }

    /// <summary>
    /// Builds the checkpoint's model (its sharing included) with its weights; parameters in
    /// <see cref="TrainState.Offloaded"/> keep their initial values (their own are in the offload part).
    /// </summary>
    /// <exception cref="DataException">The weights do not match the config (names or shapes).</exception>
    public static GptModel LoadModel(string dir, RunConfig config, TrainState state)
    {
        var model = new GptModel(config.Model, state.LayerToBlock);
        LoadInto(model, dir, state.Offloaded);
        return model;
    }

    /// <summary>Copies the checkpoint's weights into <paramref name="model"/>, which must have the same names and shapes.</summary>
    /// <param name="model">The model to fill.</param>
    /// <param name="dir">The checkpoint folder.</param>
    /// <param name="offloaded">Parameters that may be absent from the file (they were saved in the offload part).</param>
    /// <exception cref="DataException">A name or shape differs; the message names the file and the tensor.</exception>
    public static void LoadInto(GptModel model, string dir, IReadOnlyCollection<string>? offloaded = null)
    {
        var file = Path.Combine(dir, ModelFile);
        using var scope = NewDisposeScope();
        var saved = ReadTensors(file);
        var target = model.state_dict();
        if (offloaded is { Count: > 0 })
        {
            var skip = offloaded.ToHashSet(StringComparer.Ordinal);
            target = target.Where(kv => !skip.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value);
        }
        var missing = target.Keys.Except(saved.Keys).FirstOrDefault();
        if (missing is not null) throw new DataException(file, $"checkpoint does not match the model: no tensor '{missing}'");
        var extra = saved.Keys.Except(target.Keys).FirstOrDefault();
        if (extra is not null) throw new DataException(file, $"checkpoint does not match the model: unexpected tensor '{extra}'");
        using var _ = no_grad();
        foreach (var (name, t) in target)
        {
            if (!t.shape.SequenceEqual(saved[name].shape))
                throw new DataException(file, $"checkpoint does not match the model: '{name}' is [{string.Join(",", saved[name].shape)}], model has [{string.Join(",", t.shape)}]");
            t.copy_(saved[name]);
        }
    }

    /// <summary>Restores AdamW state (moments and step counts) saved with the checkpoint.</summary>
    /// <exception cref="DataException">The optimizer part is missing or unreadable.</exception>
    public static void LoadOptimizer(AdamW optimizer, string dir, TrainState state, Device? device = null)
    {
        var file = Path.Combine(dir, OptimizerFile);
        var saved = ReadTensors(file);
        var result = new Dictionary<string, AdamWState>();
        foreach (var (name, step) in state.OptimizerSteps)
        {
            if (!saved.TryGetValue($"exp_avg.{name}", out var m) || !saved.TryGetValue($"exp_avg_sq.{name}", out var v))
                throw new DataException(file, $"no optimizer state for '{name}'");
            result[name] = new AdamWState(device is null ? m : m.to(device), device is null ? v : v.to(device), step);
        }
        var orphan = saved.Keys.FirstOrDefault(k => !state.OptimizerSteps.ContainsKey(k[(k.IndexOf('.') + 1)..]));
        if (orphan is not null)
            throw new DataException(Path.Combine(dir, StateFile), $"'optimizer_steps' has no entry for '{orphan[(orphan.IndexOf('.') + 1)..]}', whose AdamW moments {OptimizerFile} holds: the optimizer state was edited or damaged");
        optimizer.ReplaceState(result);
    }

    private static Dictionary<string, Tensor> ReadTensors(string file)
    {
        if (!File.Exists(file)) throw new DataException(file, "checkpoint part not found");
        try { return Safetensors.LoadStateDict(file); }
        catch (Exception e) when (e is not GiantSharpException) { throw new DataException(file, $"unreadable tensors: {e.Message}"); }
    }

    /// <summary>Whether the store holds checkpoints (a <c>latest</c> file or a <c>step-*</c> folder): a fresh run or a delink must not write there.</summary>
    public bool HasCheckpoints() =>
        Directory.Exists(Root) && (File.Exists(Path.Combine(Root, LatestFileName)) || Directory.EnumerateDirectories(Root, "step-*").Any());

    /// <summary>
    /// Removes what killed saves and prunes left behind: <c>.tmp-step-*</c> folders (a checkpoint being written),
    /// <c>.trash-*</c> folders (a checkpoint being pruned) and <c>.latest.*</c> files. None of them is ever named by <c>latest</c>.
    /// </summary>
    /// <returns>The paths removed.</returns>
    public IReadOnlyList<string> SweepLeftovers()
    {
        if (!Directory.Exists(Root)) return [];
        var removed = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories(Root, ".tmp-step-*").Concat(Directory.EnumerateDirectories(Root, ".trash-*")).ToList())
            if (TryDelete(dir)) removed.Add(dir);
        foreach (var file in Directory.EnumerateFiles(Root, $".{LatestFileName}.*").ToList())
            try { File.Delete(file); removed.Add(file); } catch (IOException) { }
        return removed;
    }

    /// <summary>
    /// Keeps the newest <paramref name="keep"/> checkpoints up to the one <c>latest</c> names; never removes that one,
    /// anything newer, or a stage-end checkpoint (<see cref="TrainState.EndOfStage"/>: the Pseudo Giant before delinking). A pruned folder is first renamed out of the <c>step-*</c> namespace (atomic), then deleted, so
    /// a kill while deleting leaves a <c>.trash-*</c> folder that the next save sweeps, never a half checkpoint.
    /// </summary>
    private void Prune(int keep)
    {
        var latest = Latest();
        if (latest is null) return;
        var latestName = Path.GetFileName(latest);
        var older = Directory.GetDirectories(Root, "step-*").Select(Path.GetFileName).OfType<string>()
            .Where(n => string.CompareOrdinal(n, latestName) < 0 && !IsStageEnd(Path.Combine(Root, n))).Order(StringComparer.Ordinal).ToList();
        foreach (var name in older.Take(Math.Max(0, older.Count - (keep - 1))))
        {
            var trash = Path.Combine(Root, $".trash-{name}-{Guid.NewGuid():N}");
            try { Directory.Move(Path.Combine(Root, name), trash); }
            catch (IOException) { continue; }
            BeforeTrashDelete?.Invoke(trash);
            TryDelete(trash);
        }
    }

    /// <summary>Whether the checkpoint in <paramref name="dir"/> ends a stage (its state.json sets <c>end_of_stage</c>); an unreadable one counts as not.</summary>
    public static bool IsStageEnd(string dir)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, StateFile)));
            return doc.RootElement.TryGetProperty("end_of_stage", out var end) && end.ValueKind == JsonValueKind.String;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException) { return false; }
    }

    /// <summary>Test hook: called after a pruned checkpoint is renamed away and before it is deleted.</summary>
    internal Action<string>? BeforeTrashDelete { get; set; }

    private static void WriteDurably(string path, string text)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        using (var writer = new StreamWriter(stream, leaveOpen: true)) writer.Write(text);
        stream.Flush(flushToDisk: true);
    }

    private static bool TryDelete(string dir)
    {
        try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); return true; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }
}
