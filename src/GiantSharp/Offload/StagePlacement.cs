using GiantSharp.Checkpointing;
using GiantSharp.Config;
using GiantSharp.Errors;
using GiantSharp.Model;
using GiantSharp.Sharing;
using GiantSharp.Training.Optim;
using GiantSharp.Training.Steps;
using static TorchSharp.torch;

namespace GiantSharp.Offload;

/// <summary>
/// Where a run's layers live from stage to stage (M6-10T sec. 3.1 + 3.2), for the trainer: at each stage start it
/// delinks when the stage asks for less sharing (straight into the offload store when the new stage is offloaded,
/// so the Real Giant is never whole in memory) and binds or releases the offload session per
/// <see cref="RunConfig.IsOffloaded"/>. The session's disk files live in a folder of their own under
/// <c>offload.dir</c> (<see cref="RunStoreFolder"/>), removed on dispose.
/// </summary>
public sealed class StagePlacement : IDisposable
{
    private readonly RunConfig _config;
    private readonly OffloadConfig? _offload;
    private readonly RunStoreFolder? _folder;
    private string? _resumePart;

    /// <summary>Placement for <paramref name="config"/>; <paramref name="resumeCheckpoint"/> is the checkpoint folder a resumed run starts from.</summary>
    /// <exception cref="ConfigException">The checkpoint holds offloaded layers and the run has no <c>offload</c> section.</exception>
    public StagePlacement(RunConfig config, string? resumeCheckpoint = null)
    {
        _config = config;
        _folder = config.Offload?.Dir is { } dir ? new RunStoreFolder(dir, config.Name) : null;
        _offload = _folder is null ? config.Offload : config.Offload! with { Dir = _folder.Path };
        var part = resumeCheckpoint is null ? null : Path.Combine(resumeCheckpoint, CheckpointStore.OffloadPart);
        if (part is not null && Directory.Exists(part))
        {
            if (config.Offload is null)
                throw new ConfigException("offload", $"checkpoint {resumeCheckpoint} holds offloaded layers; resuming it needs the run's 'offload' section");
            _resumePart = part;
        }
    }

    /// <summary>The session of the current stage, or null while every layer is resident.</summary>
    public OffloadSession? Session { get; private set; }

    /// <summary>Parameters whose values live in the offload store now (left out of <c>model.safetensors</c>).</summary>
    public string[] Offloaded => Session?.StreamedParameters.ToArray() ?? [];

    /// <summary>Writes the offload part of a checkpoint into a folder, or null when nothing is offloaded.</summary>
    public Action<string>? PartWriter => Session is { } s ? s.Save : null;

    /// <summary>
    /// Prepares <paramref name="model"/> and <paramref name="optimizer"/> for stage <paramref name="stage"/>: loads
    /// the resumed checkpoint's offload part (first call only), releases the session if the stage is resident or
    /// delinks, delinks (into a store when offloaded), and binds a session when the stage is offloaded.
    /// </summary>
    /// <returns>Whether the model was delinked.</returns>
    /// <exception cref="ConfigException">The stage's sharing cannot be reached, or a tier lacks room (preflight).</exception>
    /// <exception cref="DataException">The offload directory is unwritable, the disk is full, or the resumed part does not match.</exception>
    public bool EnterStage(int stage, GptModel model, AdamW optimizer)
    {
        var sharing = _config.Stages[stage].Sharing;
        var offloaded = _config.IsOffloaded(stage);
        if (_resumePart is not null || offloaded) _folder?.Claim();
        if (_resumePart is { } part)
        {
            _resumePart = null;
            Session = OffloadSession.Load(part, model, _offload!);
        }
        var target = sharing.LayerMap(_config.Model.NLayer);
        var delink = !target.SequenceEqual(model.Layers.LayerToBlock);
        if (delink && sharing.Mode != "none")
            throw new ConfigException("stages", $"cannot move a model with layer map [{string.Join(",", model.Layers.LayerToBlock)}] to sharing '{sharing}'");
        if (Session is not null && (delink || !offloaded)) Release(optimizer);
        // New blocks draw their (overwritten) initial values from the global generator; put it back afterwards so
        // that dropout masks do not depend on how the model was delinked (in memory or into a store).
        var rng = random.get_rng_state();
        try
        {
            if (delink && offloaded) Session = StoreDelinker.DelinkToStore(model, optimizer, _offload!, _config.Delink.OptimizerState);
            else if (delink) Delinker.Delink(model, optimizer, _config.Delink.OptimizerState);
            else if (offloaded && Session is null) Session = OffloadSession.Attach(model, optimizer, _offload!);
        }
        finally
        {
            random.set_rng_state(rng);
            rng.Dispose();
        }
        return delink;
    }

    /// <summary>The step executor of the current stage: layer-streamed when offloaded, else <paramref name="resident"/>'s.</summary>
    public ITrainStep Executor(Func<ITrainStep> resident) => Session is { } s ? new LayerStreamedTrainStep(s) : resident();

    /// <summary>Brings every offloaded layer and its AdamW state back into the model and <paramref name="optimizer"/> (needs room for them).</summary>
    public void Release(AdamW optimizer)
    {
        Session?.Detach(optimizer);
        Session = null;
    }

    /// <summary>Frees the store (its files and folder) without restoring the model.</summary>
    public void Dispose()
    {
        Session?.Dispose();
        Session = null;
        _folder?.Dispose();
    }
}
