using GiantSharp.Config;
using GiantSharp.Errors;
using static TorchSharp.torch;

namespace GiantSharp.Checkpointing;

/// <summary>
/// Checks a checkpoint's <c>state.json</c> against its own config before anything acts on it: an edited or damaged
/// field must be refused with its name, not become a wrong resume (an emptied optimizer state silently resetting
/// AdamW) or an abort inside libtorch (an RNG state of the wrong size).
/// </summary>
internal static class TrainStateCheck
{
    private static readonly Lazy<long> RngStateBytes = new(() =>
    {
        using var state = random.get_rng_state();
        return state.NumberOfElements;
    });

    /// <summary>Throws on the first field of <paramref name="state"/> that cannot be right for <paramref name="config"/>.</summary>
    /// <param name="file">The state.json, named in the message.</param>
    /// <param name="state">The state read from it.</param>
    /// <param name="config">The config saved in it (validated).</param>
    /// <exception cref="DataException">A field is missing, out of range or inconsistent; the message names the file and the field.</exception>
    public static void Check(string file, TrainState state, RunConfig config)
    {
        void Fail(string key, string problem) => throw new DataException(file, $"'{key}' {problem}");
        if (RequiredValues.FirstMissing(state) is { } missing) Fail(missing, "must not be null");
        if (state.FormatVersion != 1) Fail("format_version", $"is {state.FormatVersion}; this GiantSharp reads version 1");
        if (state.GlobalStep < 0 || state.GlobalStep > config.TotalSteps) Fail("global_step", $"must be in [0, {config.TotalSteps}], got {state.GlobalStep}");
        if (state.StageIndex < 0 || state.StageIndex > config.Stages.Count) Fail("stage_index", $"must be in [0, {config.Stages.Count}], got {state.StageIndex}");
        foreach (var (stage, end) in state.StageEnds)
            if (stage < 0 || stage >= config.Stages.Count || end < 0 || end > config.TotalSteps) Fail("stage_ends", $"has {stage}: {end}, outside the run's stages and steps");
        if (state.DisagreeingChecks < 0) Fail("disagreeing_checks", $"must be >= 0, got {state.DisagreeingChecks}");
        if (state.DataPosition < 0) Fail("data_position", $"must be >= 0, got {state.DataPosition}");
        if (state.Tokens < 0) Fail("tokens", $"must be >= 0, got {state.Tokens}");
        if (!(state.TrainSeconds >= 0)) Fail("train_seconds", $"must be >= 0, got {state.TrainSeconds}");
        var n = config.Model.NLayer;
        if (state.LayerToBlock.Length != n) Fail("layer_to_block", $"has {state.LayerToBlock.Length} entries; the model has n_layer {n}");
        if (state.LayerToBlock.Any(b => b < 0 || b >= n)) Fail("layer_to_block", $"must map each layer to a block in [0, {n}), got [{string.Join(",", state.LayerToBlock)}]");
        if (state.RngState.Length > 0)
        {
            byte[] rng;
            try { rng = Convert.FromBase64String(state.RngState); }
            catch (FormatException) { Fail("rng_state", "is not base64"); return; }
            if (rng.Length != RngStateBytes.Value) Fail("rng_state", $"holds {rng.Length} bytes; torch's CPU generator state is {RngStateBytes.Value}");
        }
        foreach (var (name, steps) in state.OptimizerSteps)
            if (steps < 0 || steps > state.GlobalStep) Fail($"optimizer_steps.{name}", $"must be in [0, global_step {state.GlobalStep}], got {steps}");
        if (state.GlobalStep > 0 && state.OptimizerSteps.Count == 0 && state.Offloaded.Length == 0 && !state.OffloadPart)
            Fail("optimizer_steps", $"is empty at global_step {state.GlobalStep}: resuming would silently reset AdamW");
        if (state.Tokenizer is not null && state.Tokenizer.Identity != state.TokenizerIdentity)
            Fail("tokenizer_identity", $"is '{state.TokenizerIdentity}' but 'tokenizer' is '{state.Tokenizer.Identity}'");
    }
}
