using System.Text.Json;
using System.Text.Json.Serialization;
using GiantSharp.Errors;
using GiantSharp.Model;

namespace GiantSharp.Bench;

/// <summary>
/// The part of a run config a benchmark needs: the <c>model</c> object and the first stage's <c>micro_batch</c>
/// (sequences per forward pass; a top-level <c>micro_batch</c>, as in a model-only file, wins). Presets are the run
/// configs in <c>configs/</c>, e.g. <c>configs/gpt2-small-cpu.json</c>; their other keys are ignored here.
/// </summary>
public sealed record BenchPreset
{
    /// <summary>The model shape (validated on load; vocab_size must be set).</summary>
    public required ModelConfig Model { get; init; }

    /// <summary>Sequences per micro-batch (B).</summary>
    public int MicroBatch { get; init; } = 1;

    /// <summary>Tokens in one micro-batch: B * T.</summary>
    [JsonIgnore] public long TokensPerMicroBatch => (long)MicroBatch * Model.SeqLen;

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>
    /// Resolves <paramref name="nameOrPath"/> and reads it: an existing file path, or a preset name looked
    /// up as <c>configs/NAME.json</c> under the current directory, then under the application's base directory.
    /// </summary>
    /// <exception cref="DataException">No such preset or file, or it is not valid JSON.</exception>
    /// <exception cref="ConfigException">A value is out of range (the message names the key).</exception>
    public static BenchPreset Load(string nameOrPath) => Read(Resolve(nameOrPath));

    /// <summary>The file <paramref name="nameOrPath"/> stands for (see <see cref="Load"/>).</summary>
    /// <exception cref="DataException">Neither a file nor a preset of that name exists.</exception>
    public static string Resolve(string nameOrPath) => Config.ConfigLoader.Resolve(nameOrPath);

    /// <summary>Reads and validates the preset file at <paramref name="path"/>.</summary>
    /// <exception cref="DataException">The file is unreadable, not JSON, or has no <c>model</c> object.</exception>
    /// <exception cref="ConfigException">A value is out of range (the message names the key).</exception>
    public static BenchPreset Read(string path)
    {
        BenchPreset? preset;
        try
        {
            preset = JsonSerializer.Deserialize<PresetFile>(File.ReadAllText(path), Json) is { } file
                ? new BenchPreset
                {
                    Model = file.Model ?? throw new DataException(path, "has no 'model' object"),
                    MicroBatch = file.MicroBatch ?? file.Stages?.FirstOrDefault()?.MicroBatch ?? 1,
                }
                : null;
        }
        catch (JsonException e)
        {
            throw new DataException(path, $"not a valid preset: {Config.JsonErrorText.Describe(e, null)}", e);
        }
        if (preset is null) throw new DataException(path, "empty preset");
        preset.Model.Validate();
        if (preset.Model.VocabSize <= 0) throw new ConfigException("model.vocab_size", "a benchmark needs it set (> 0)");
        if (preset.MicroBatch <= 0) throw new ConfigException("micro_batch", $"must be > 0, got {preset.MicroBatch}");
        return preset;
    }

    /// <summary>What a preset file holds for a benchmark: a run config's <c>model</c> and stages, or a top-level <c>micro_batch</c>.</summary>
    private sealed record PresetFile(ModelConfig? Model, int? MicroBatch, IReadOnlyList<StageBatch>? Stages);

    /// <summary>The part of a stage a benchmark reads.</summary>
    private sealed record StageBatch(int MicroBatch);
}
