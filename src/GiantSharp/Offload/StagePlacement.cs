using GiantSharp.Checkpointing;
using GiantSharp.Config;
using GiantSharp.Errors;
using GiantSharp.Model;
using GiantSharp.Offload.Planning;
using GiantSharp.Sharing;
using GiantSharp.Training.Optim;
using GiantSharp.Training.Steps;
using static TorchSharp.torch;

namespace GiantSharp.Offload;

/// <summary>
/// Where a run's layers live, stage by stage, as a service the trainer asks (M6-10T sec. 3.2): it knows each stage's
/// placement (<see cref="StageOffload"/>: the offload section's tiers, or the memory planner's plan for max_memory),
/// builds a fresh model straight into the store when the first stage streams, moves layers into or out of the store
/// when a stage starts, and delinks into the store when the trainer delinks into a streamed stage, so the Real Giant
/// is never whole in memory. Which stage comes next and whether it delinks is the trainer's decision. The session's
/// disk files live in a folder of their own under <c>offload.dir</c> (<see cref="RunStoreFolder"/>), removed on dispose.
/// </summary>
public sealed class StagePlacement : IDisposable
{
    private readonly RunConfig _config;
    private readonly RunStoreFolder? _folder;
    private readonly OffloadConfig?[] _stageOffload;
    private readonly MemoryPlan?[] _plans;
    private string? _resumePart;

    /// <summary>
    /// Placement for <paramref name="config"/> (vocab_size resolved). Before any step, it plans every stage (wired per
    /// its sharing), and when a stage streams, claims its folder under <c>offload.dir</c> (proving it
    /// writable) and runs that stage's preflight, so a plan that cannot fit fails now rather than after a resident
    /// Pseudo stage has trained.
    /// </summary>
    /// <param name="config">The run.</param>
    /// <param name="resume">The checkpoint folder a resumed run starts from, with its state; null for a fresh run.</param>
    /// <exception cref="ConfigException">A budget cannot hold a stage, a tier lacks room, or the checkpoint holds offloaded layers and the run has no <c>offload</c> section.</exception>
    /// <exception cref="DataException">offload.dir is not a writable directory, or the checkpoint's offload part is missing.</exception>
    public StagePlacement(RunConfig config, (string Dir, TrainState State)? resume)
    {
        _config = config;
        _folder = config.Offload?.Dir is { } dir ? new RunStoreFolder(dir, config.Name) : null;
        _plans = new MemoryPlan?[config.Stages.Count];
        _stageOffload = new OffloadConfig?[config.Stages.Count];
        for (int si = 0; si < config.Stages.Count; si++)
        {
            var map = config.Stages[si].Sharing.LayerMap(config.Model.NLayer);
            _plans[si] = StageOffload.Plan(config, si, map);
            var offload = _plans[si] is { } plan ? plan.Config : StageOffload.Resolve(config, si, map);
            _stageOffload[si] = offload is not null && _folder is not null ? offload with { Dir = _folder.Path } : offload;
        }
        if (resume is { } r && OffloadedCheckpoint.PartOf(r.Dir, r.State) is { } part)
        {
            if (config.Offload is null)
                throw new ConfigException("offload", $"checkpoint {r.Dir} holds offloaded layers; resuming it needs the run's 'offload' section");
            _resumePart = part;
        }
        if (_stageOffload.All(o => o is null) && _resumePart is null) return;
        try
        {
            _folder?.Claim();
            var device = new Device(config.Device);
            foreach (var (offload, si) in _stageOffload.Select((o, si) => (o, si)).Where(x => x.o is not null))
                OffloadPreflight.Check(Plan(si, offload!).Footprint, MachineResources.Probe(offload!.Dir), device);
        }
        catch
        {
            _folder?.Dispose();
            throw;
        }
    }

    /// <summary>Per stage, the memory planner's plan, or null where the run sets no max_memory.</summary>
    public IReadOnlyList<MemoryPlan?> Plans => _plans;

    /// <summary>The session of the current stage, or null while every layer is resident.</summary>
    public OffloadSession? Session { get; private set; }

    /// <summary>Whether stage <paramref name="stage"/> keeps layers (or their optimizer state) in the offload store.</summary>
    public bool Streams(int stage) => _stageOffload[stage] is not null;

    /// <summary>The offload configuration stage <paramref name="stage"/> runs under (disk files in this run's folder), or null when resident.</summary>
    public OffloadConfig? ConfigOf(int stage) => _stageOffload[stage];

    /// <summary>One line on where stage <paramref name="stage"/>'s layers live, for logs.</summary>
    public string Describe(int stage) => Plans[stage]?.Summary() ?? (_stageOffload[stage] is { } o ? $"offloaded: {o.Summary()}" : "resident");

    /// <summary>Parameters whose values live in the offload store now (left out of <c>model.safetensors</c>).</summary>
    public string[] Offloaded => Session?.StreamedParameters.ToArray() ?? [];

    /// <summary>Writes the offload part of a checkpoint into a folder, or null when nothing is offloaded.</summary>
    public Action<string>? PartWriter => Session is { } s ? s.Save : null;

    /// <summary>
    /// Builds the fresh model of stage 0 (the global generator seeded by the caller), wired per <paramref name="map"/>.
    /// When stage 0 streams, the model is built block by block straight into the store (each block's tensors leave
    /// memory as soon as they are initialised), with the same values a resident build gives.
    /// </summary>
    /// <exception cref="ConfigException">A tier lacks room.</exception>
    /// <exception cref="DataException">The offload directory is unwritable or the disk is full.</exception>
    public GptModel BuildModel(IReadOnlyList<int> map)
    {
        TuneAllocator(0);
        if (ConfigOf(0) is not { } offload) return new GptModel(_config.Model, map);
        Session = OffloadSession.Build(_config.Model, map, offload, new Device(_config.Device));
        return Session.Model;
    }

    /// <summary>
    /// Places <paramref name="model"/> and <paramref name="optimizer"/> for stage <paramref name="stage"/>, whose layer map
    /// the model already has: loads the resumed checkpoint's offload part (first call only), then moves the layers into
    /// the store when the stage streams, or back when it does not.
    /// </summary>
    /// <exception cref="ConfigException">A tier lacks room (preflight).</exception>
    /// <exception cref="DataException">The offload directory is unwritable, the disk is full, or the resumed part does not match.</exception>
    public void Enter(int stage, GptModel model, AdamW optimizer)
    {
        TuneAllocator(stage);
        LoadResumedPart(stage, model);
        if (Session is not null && !Streams(stage)) Release(optimizer);
        else if (Session is null && ConfigOf(stage) is { } offload) Session = OffloadSession.Attach(model, optimizer, offload);
    }

    /// <summary>
    /// Delinks <paramref name="model"/> (weights and AdamW state per <paramref name="mode"/>, M6-10T sec. 3.1) into the
    /// Real Giant of stage <paramref name="stage"/>: straight into the store when that stage streams, else in memory.
    /// </summary>
    /// <exception cref="ConfigException">A tier lacks room (preflight).</exception>
    /// <exception cref="DataException">The offload directory is unwritable or the disk is full.</exception>
    public void Delink(int stage, GptModel model, AdamW optimizer, OptimizerStateDelink mode)
    {
        TuneAllocator(stage);
        LoadResumedPart(stage, model);
        if (Session is not null) Release(optimizer);
        if (ConfigOf(stage) is { } offload) Session = StoreDelinker.DelinkToStore(model, optimizer, offload, mode);
        else Delinker.Delink(model, optimizer, mode);
        if (_config.Offload?.MaxMemory is not null) HostAllocator.Release();
    }

    /// <summary>The step executor of the current stage: layer-streamed when offloaded, else <paramref name="resident"/>'s.</summary>
    public ITrainStep Executor(Func<ITrainStep> resident) => Session is { } s ? new LayerStreamedTrainStep(s) : resident();

    /// <summary>Brings every offloaded layer and its AdamW state back into the model and <paramref name="optimizer"/> (needs room for them).</summary>
    public void Release(AdamW optimizer)
    {
        Session?.Detach(optimizer);
        Session = null;
    }

    /// <summary>Sets malloc for stage <paramref name="stage"/>'s kind of work (<see cref="HostAllocator"/>).</summary>
    private void TuneAllocator(int stage)
    {
        if (!Streams(stage)) HostAllocator.ForResident();
        else if (_config.Offload?.MaxMemory is not null) HostAllocator.ForStreaming();
        else HostAllocator.ForUnbudgetedStreaming();
    }

    /// <summary>The plan stage <paramref name="stage"/> would have under <paramref name="offload"/>, from its shape.</summary>
    private OffloadPlan Plan(int stage, OffloadConfig offload)
    {
        var map = _config.Stages[stage].Sharing.LayerMap(_config.Model.NLayer);
        return OffloadAccounting.Plan(_config.Model, map, offload, StageOffload.DeviceIsCpu(_config));
    }

    private void LoadResumedPart(int stage, GptModel model)
    {
        if (_resumePart is not { } part) return;
        _resumePart = null;
        var offload = ConfigOf(stage) ?? throw new DataException(part, $"holds offloaded layers, but stage {stage} ('{_config.Stages[stage].Name}') is resident under this config");
        Session = OffloadSession.Load(part, model, offload);
    }

    /// <summary>Frees the store (its files and folder) without restoring the model.</summary>
    public void Dispose()
    {
        Session?.Dispose();
        Session = null;
        _folder?.Dispose();
    }
}
