using GiantSharp.Checkpointing;
using GiantSharp.Config;
using GiantSharp.Errors;
using GiantSharp.Model;
using GiantSharp.Sharing;
using GiantSharp.Training.Optim;
using GiantSharp.Training.Steps;

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

    /// <summary>
    /// Placement for <paramref name="config"/> (vocab_size resolved). Before any step, when a stage is offloaded, it
    /// claims its folder under <c>offload.dir</c> (proving it writable) and runs the preflight of every offloaded
    /// stage, so a plan that cannot fit fails now rather than after a resident Pseudo stage has trained.
    /// </summary>
    /// <param name="config">The run.</param>
    /// <param name="resume">The checkpoint folder a resumed run starts from, with its state; null for a fresh run.</param>
    /// <exception cref="ConfigException">A tier lacks room, or the checkpoint holds offloaded layers and the run has no <c>offload</c> section.</exception>
    /// <exception cref="DataException">offload.dir is not a writable directory, or the checkpoint's offload part is missing.</exception>
    public StagePlacement(RunConfig config, (string Dir, TrainState State)? resume)
    {
        _config = config;
        _folder = config.Offload?.Dir is { } dir ? new RunStoreFolder(dir, config.Name) : null;
        _offload = _folder is null ? config.Offload : config.Offload! with { Dir = _folder.Path };
        if (resume is { } r && OffloadedCheckpoint.PartOf(r.Dir, r.State) is { } part)
        {
            if (config.Offload is null)
                throw new ConfigException("offload", $"checkpoint {r.Dir} holds offloaded layers; resuming it needs the run's 'offload' section");
            _resumePart = part;
        }
        var offloadedStages = Enumerable.Range(0, config.Stages.Count).Where(config.IsOffloaded).ToList();
        if (offloadedStages.Count == 0 && _resumePart is null) return;
        try
        {
            _folder?.Claim();
            var device = new TorchSharp.torch.Device(config.Device);
            foreach (var si in offloadedStages)
                OffloadPreflight.Check(OffloadAccounting.Footprint(config.Model, config.Stages[si].Sharing, _offload!), MachineResources.Probe(_offload!.Dir), device);
        }
        catch
        {
            _folder?.Dispose();
            throw;
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
        if (delink && offloaded) Session = StoreDelinker.DelinkToStore(model, optimizer, _offload!, _config.Delink.OptimizerState);
        else if (delink) Delinker.Delink(model, optimizer, _config.Delink.OptimizerState);
        else if (offloaded && Session is null) Session = OffloadSession.Attach(model, optimizer, _offload!);
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
