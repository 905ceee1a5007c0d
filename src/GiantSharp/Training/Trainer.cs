using TorchSharp;
using System.Diagnostics;
using GiantSharp.Checkpointing;
using GiantSharp.Config;
using GiantSharp.Data;
using GiantSharp.Errors;
using GiantSharp.Model;
using GiantSharp.Offload;
using GiantSharp.Parallel;
using GiantSharp.Training.Optim;
using GiantSharp.Training.Steps;
using static TorchSharp.torch;

namespace GiantSharp.Training;

/// <summary>
/// Runs the stages of a <see cref="RunConfig"/>: e.g. the Pseudo Giant (all layers sharing one block),
/// then, at the switch, delinks in place (weights and AdamW state, M6-10T sec. 3.1) and trains the Real
/// Giant, with one LR schedule across. One loop, in phases: lr, batch, step (accumulation, clipping,
/// AdamW, via an <see cref="ITrainStep"/>), log, eval, checkpoint. Progress goes out through observers.
/// The trainer decides what happens at a stage switch (delink or not); where the layers live in each stage
/// (resident, or streamed from an offload store, M6-10T sec. 3.2) is <see cref="StagePlacement"/>'s business,
/// which it asks to carry the switch out and for the step executor. The time a switch takes (delinking into the
/// store, moving layers there) counts as training time, as does building a streamed model into its store.
/// </summary>
public sealed class Trainer : IDisposable
{
    private readonly ITrainingCorpus _corpus;
    private readonly Func<int, ITrainStep> _stepFactory;
    private readonly Device _device;
    private readonly CheckpointStore _checkpoints;
    private readonly StagePlacement _placement;
    private readonly ParallelRun _parallel;
    private double _pendingSeconds;                                             // store build time, added to the first step
    private bool _resumed;
    private NonFiniteGuard? _nonFinite;
    private RunStart? _start;

    /// <summary>
    /// Prepares a run on <paramref name="corpus"/>: builds the model of the first stage, or restores the
    /// checkpoint <paramref name="resumeFrom"/> (a checkpoint folder or a run folder).
    /// </summary>
    /// <param name="config">The run (validated); vocab_size 0 is taken from the corpus's tokenizer.</param>
    /// <param name="corpus">The corpus (train and val splits): text, or image-text for a multimodal model.</param>
    /// <param name="observers">Who is told of progress (more can be added to <see cref="Observers"/>).</param>
    /// <param name="stepFactory">Chooses the step executor of a resident stage, by stage index (default: resident);
    /// a stage the config offloads (<see cref="RunConfig.IsOffloaded"/>) streams its layers.</param>
    /// <param name="resumeFrom">A checkpoint or run folder to continue from; null starts afresh.</param>
    /// <param name="initFrom">A fresh run (step 0, fresh schedule and AdamW state) starts from the weights of this checkpoint or run folder
    /// (<see cref="InitialWeights"/>); not with <paramref name="resumeFrom"/>.</param>
    /// <exception cref="ConfigException">vocab_size is smaller than the tokenizer's, or the config does not fit the checkpoint.</exception>
    /// <exception cref="DataException">The corpus is too short for seq_len, or the checkpoint does not match.</exception>
    /// <remarks>Resuming an offloaded run builds the model block by block, its streamed tensors hollow: it never holds the whole model.</remarks>
    public Trainer(RunConfig config, ITrainingCorpus corpus, IReadOnlyList<ITrainingObserver>? observers = null,
        Func<int, ITrainStep>? stepFactory = null, string? resumeFrom = null, string? initFrom = null)
    {
        if (resumeFrom is not null && initFrom is not null)
            throw new ConfigException("--init-from", "starts a new run from a checkpoint's weights; --resume continues a run: give one of them");
        Config = ResolveVocab(config, corpus.Tokenizer);
        _corpus = corpus;
        Observers = new List<ITrainingObserver>(observers ?? []);
        Precision = MixedPrecision.PrecisionResolver.Resolve(Config);
        _parallel = ParallelRun.For(Config);                                    // every rank refuses a config the ranks cannot run
        if (Precision.IsBf16 && _parallel.Comm.IsDistributed)
            throw new ConfigException("precision", "bf16 on several MPI ranks is not built yet: use fp32 (or one rank)");
        _stepFactory = stepFactory ?? (_ => _parallel.Step() ?? (Precision.IsBf16 ? new MixedPrecision.MixedPrecisionStep(Precision.Compute) : new ResidentTrainStep()));
        _device = new Device(Config.Device);
        _checkpoints = new CheckpointStore(Path.Combine(Config.OutDir, "checkpoints"));
        corpus.EnsureFits(Config.Model.SeqLen, Config.Model.PatchDim);
        Optimizer = new AdamW(Config.Optimizer.ToAdamW());

        if (resumeFrom is null)
        {
            _placement = new StagePlacement(Config, null);                   // offload checks fail before any work
            manual_seed(Config.Seed);
            var clock = Stopwatch.StartNew();
            var map = Config.Stages[0].Sharing.LayerMap(Config.Model.NLayer);
            string? initial = null;
            // Initial weights come in whole; a first stage that streams moves them into its store on entering (as at a switch).
            try { (Model, initial) = initFrom is null ? (_placement.BuildModel(map), null) : InitialWeights.Load(initFrom, Config, corpus.Tokenizer, map); }
            catch
            {
                _placement.Dispose();
                throw;
            }
            _pendingSeconds = _placement.Streams(0) ? clock.Elapsed.TotalSeconds : 0;
            State = new TrainState { TokenizerIdentity = corpus.Tokenizer.Identity, Tokenizer = TokenizerFactory.ToSpec(corpus.Tokenizer), InitializedFrom = initial };
        }
        else
        {
            var dir = CheckpointStore.Resolve(resumeFrom);
            var (state, saved) = CheckpointStore.ReadState(dir);
            if (saved.Model != Config.Model) throw new ConfigException("model", $"differs from the model of checkpoint {dir}");
            if (state.TokenizerIdentity != corpus.Tokenizer.Identity)
                throw new DataException(corpus.Directory, $"tokenizer {corpus.Tokenizer.Identity} differs from the checkpoint's {state.TokenizerIdentity}");
            _placement = new StagePlacement(Config, (dir, state));
            _resumed = true;
            try
            {
                Model = OffloadedCheckpoint.LoadModel(dir, Config, state, _placement.ConfigOf(Math.Min(state.StageIndex, Config.Stages.Count - 1)));
                CheckpointStore.LoadOptimizer(Optimizer, dir, state, _device);
            }
            catch
            {
                _placement.Dispose();
                throw;
            }
            if (state.RngState.Length > 0)
            {
                using var rng = tensor(Convert.FromBase64String(state.RngState));
                random.set_rng_state(rng);
            }
            State = state;
        }
        Model.to(_device);
        Model.train();
    }

    /// <summary>What the resident stages compute in, and why (the masters and AdamW moments stay fp32).</summary>
    public MixedPrecision.PrecisionChoice Precision { get; }

    /// <summary>Who is told of progress; add to it before <see cref="Run"/>.</summary>
    public List<ITrainingObserver> Observers { get; }

    /// <summary>The run's config, with vocab_size taken from the tokenizer when it was 0.</summary>
    public RunConfig Config { get; }
    /// <summary>
    /// The model being trained (its sharing changes at a delinking stage switch). During and after an offloaded
    /// stage its streamed layers are hollow; <see cref="BringBackOffloaded"/> restores them.
    /// </summary>
    public GptModel Model { get; }
    /// <summary>The optimizer (its state is delinked with the model).</summary>
    public AdamW Optimizer { get; }
    /// <summary>Where the run stands.</summary>
    public TrainState State { get; private set; }

    /// <summary>
    /// The attainable matmul rate of this machine, in FLOP/s (e.g. <see cref="Bench.MatmulPeak.Measure"/>), against which
    /// each step's MFU is reported; null (default) reports none. Set before <see cref="Run"/>.
    /// </summary>
    public double? PeakFlopsPerSecond { get; set; }

    /// <summary>Measures the gradient agreement for <c>delink.when: auto</c> (default <see cref="Sharing.GradientAgreement.Measure"/>); tests inject others.</summary>
    internal Func<GptModel, Tensor, Tensor, double[]>? MeasureAgreement { get; set; }

    /// <summary>Trains until the end of the last stage (or cancellation, after finishing the current step).</summary>
    /// <exception cref="DataException">A checkpoint could not be written (the last good one is intact).</exception>
    public void Run(CancellationToken cancel = default)
    {
        var auto = new AutoDelink(Config, MeasureAgreement);
        _start = RunStart.Of(Config, State.GlobalStep, Precision.Describe(), _placement.Describe, PeakFlopsPerSecond);
        foreach (var o in Observers)
        {
            o.OnRunStart(_start);
            if (Precision.Warning is { } warning) o.OnNotice(warning);
        }
        for (int si = State.StageIndex; si < Config.Stages.Count; si++)
        {
            var stage = Config.Stages[si];
            var delinked = EnterStage(si, stage);
            foreach (var o in Observers) o.OnStageStart(si, stage, State.GlobalStep, delinked);
            foreach (var o in Observers) o.OnNotice($"stage {stage.Name}: {_placement.Describe(si)}");
            if (_placement.Session?.Store is { DirectIo: false } store)
                foreach (var o in Observers)
                    o.OnNotice($"warning: {store.Directory} refuses direct I/O (O_DIRECT); the disk tier falls back to buffered I/O there, through the page cache, so its speed and memory are not the drive's");
            using var executor = _placement.Executor(() => _stepFactory(si));
            while (State.GlobalStep < StageEnd(si) && !cancel.IsCancellationRequested)
                TrainOneStep(si, stage, executor, auto);
            if (cancel.IsCancellationRequested) return;
            State = State with { StageIndex = si + 1 };
        }
    }

    /// <summary>The global step at which stage <paramref name="si"/> ends: as configured, or where <c>delink.when: auto</c> ended it.</summary>
    private int StageEnd(int si) => State.StageEnds.TryGetValue(si, out var end) ? end : Config.Stages.Take(si + 1).Sum(s => s.Steps);

    /// <summary>
    /// The stage switch (M6-10T sec. 3.1): delinks when the stage asks for less sharing than the model has (a stage can
    /// keep the sharing before it or delink to 'none'), else only re-places the layers. The switch's time is training
    /// time, except re-entering the stage a resumed run stopped in (that is loading, not training).
    /// </summary>
    /// <returns>Whether the model was delinked.</returns>
    /// <exception cref="ConfigException">The stage's sharing cannot be reached from the model's.</exception>
    private bool EnterStage(int si, StageConfig stage)
    {
        var target = stage.Sharing.LayerMap(Config.Model.NLayer);
        var delink = !target.SequenceEqual(Model.Layers.LayerToBlock);
        if (delink && stage.Sharing.Mode != "none")
            throw new ConfigException("stages", $"cannot move a model with layer map [{string.Join(",", Model.Layers.LayerToBlock)}] to sharing '{stage.Sharing}'");
        var clock = Stopwatch.StartNew();
        if (delink) _placement.Delink(si, Model, Optimizer, Config.Delink.OptimizerState);
        else _placement.Enter(si, Model, Optimizer);
        var loading = _resumed && si == State.StageIndex && !delink;
        _resumed = false;
        if (!loading) _pendingSeconds += clock.Elapsed.TotalSeconds;
        return delink;
    }

    private void TrainOneStep(int si, StageConfig stage, ITrainStep executor, AutoDelink auto)
    {
        var ends = Enumerable.Range(0, Config.Stages.Count).Select(StageEnd).ToArray();
        var lr = new LrSchedule(Config.Schedule, Config.Stages, ends).At(State.GlobalStep);
        var watch = Stopwatch.StartNew();
        StepResult result;
        (Dictionary<string, double> Metrics, double Mean)? agreement = null;
        using (var scope = NewDisposeScope())
        {
            var micro = new List<MicroBatch>(stage.AccumulationSteps);
            for (int a = 0; a < stage.AccumulationSteps; a++)
            {
                var (x, y) = _corpus.TrainBatch(Config.Model.SeqLen, Config.Seed, State.DataPosition + a, stage.MicroBatch);
                micro.Add(new MicroBatch(x.to(_device), y.to(_device)));
            }
            if (auto.Due(si, State.GlobalStep + 1, Model)) agreement = auto.Measure(Model, micro[0].X, micro[0].Y);   // before the update, on its batch
            result = executor.Step(Model, Optimizer, micro, lr, Config.Optimizer.GradClip);
        }
        if ((_nonFinite ??= new NonFiniteGuard(Config.Optimizer.OnNonfinite)).Skip(result, State.GlobalStep + 1, _checkpoints.Latest()))
        {
            State = State with { DataPosition = State.DataPosition + stage.AccumulationSteps };
            foreach (var o in Observers) o.OnNotice($"step {State.GlobalStep + 1}: loss {result.Loss}, gradient norm {result.GradNorm}: update skipped, batch passed over (optimizer.on_nonfinite: skip)");
            return;
        }
        var seconds = watch.Elapsed.TotalSeconds + _pendingSeconds;           // a stage switch's time lands on the step after it
        _pendingSeconds = 0;
        var tokens = (long)stage.GlobalBatch * Config.Model.SeqLen;
        State = State with
        {
            GlobalStep = State.GlobalStep + 1,
            DataPosition = State.DataPosition + stage.AccumulationSteps,
            Tokens = State.Tokens + tokens,
            TrainSeconds = State.TrainSeconds + seconds,
        };
        var metrics = result.Metrics;
        if (agreement is { } ag)
        {
            var disagreeing = auto.Count(State.DisagreeingChecks, ag.Mean);
            State = State with { DisagreeingChecks = disagreeing };
            metrics = metrics.Concat(ag.Metrics).ToDictionary();
            if (auto.Triggers(disagreeing))
            {
                State = State with { StageEnds = new Dictionary<int, int>(State.StageEnds) { [si] = State.GlobalStep } };
                foreach (var o in Observers)
                    o.OnNotice($"delink: gradient agreement below {Config.Delink.Threshold} on {disagreeing} checks in a row (mean {ag.Mean:F3} now); " +
                        $"stage {stage.Name} ends at step {State.GlobalStep} of {ends[si]}, the next stage takes the rest");
            }
        }
        var log = new StepLog(stage.Name, si, State.GlobalStep, Config.TotalSteps, result.Loss, result.AuxLoss, lr, result.GradNorm,
            State.Tokens, State.TrainSeconds, tokens / seconds, metrics)
        {
            PeakResidentBytes = MachineResources.PeakResidentBytes(), StepSeconds = seconds, Mfu = _start?.Mfu(tokens / seconds),
        };
        foreach (var o in Observers) o.OnStep(log);

        var isLastOfStage = State.GlobalStep == StageEnd(si);
        var evalEvery = stage.EvalEvery ?? Config.Eval.Every;
        if (isLastOfStage || (evalEvery > 0 && State.GlobalStep % evalEvery == 0))
        {
            var val = Evaluator.Loss(Model, _corpus, Config.Eval.Sequences, stage.MicroBatch, _device, x => executor.Forward(Model, x));
            var eval = new EvalLog(stage.Name, State.GlobalStep, val, State.Tokens, State.TrainSeconds)
            {
                BitsPerByte = _corpus.ValTokensPerByte is { } perByte ? EvalLog.BitsPerByteOf(val, perByte) : null,
            };
            foreach (var o in Observers) o.OnEval(eval);
        }
        if ((isLastOfStage && Config.Checkpoint.Final) || (Config.Checkpoint.Every > 0 && State.GlobalStep % Config.Checkpoint.Every == 0))
            SaveCheckpoint();
    }

    /// <summary>Writes a checkpoint of the current state now.</summary>
    /// <exception cref="DataException">It could not be written (the last good one is intact).</exception>
    public string SaveCheckpoint()
    {
        using var rng = random.get_rng_state();
        var current = Math.Min(State.StageIndex, Config.Stages.Count - 1);
        var state = State with
        {
            EndOfStage = State.GlobalStep == StageEnd(current) ? Config.Stages[current].Name : null,
            LayerToBlock = Model.Layers.LayerToBlock.ToArray(),
            RngState = Convert.ToBase64String(rng.data<byte>().ToArray()),
            ConfigJson = ConfigLoader.ToJson(Config),
            Offloaded = _placement.Offloaded,
            OffloadPart = _placement.PartWriter is not null,
        };
        var optimizer = _parallel.WholeOptimizer(Model, Optimizer);           // ZeRO pieces gathered; rank 0 writes, the others wait
        string path;
        try
        {
            path = _parallel.Comm.IsRoot ? _checkpoints.Save(Model, optimizer, state, Config.Checkpoint.Keep, _placement.PartWriter)
                : Path.Combine(_checkpoints.Root, $"step-{state.GlobalStep:D8}");
        }
        finally
        {
            if (!ReferenceEquals(optimizer, Optimizer)) optimizer.Dispose();
        }
        _parallel.Comm.Barrier();
        foreach (var o in Observers) o.OnCheckpoint(path, State.GlobalStep);
        return path;
    }

    /// <summary>
    /// Brings the layers an offloaded stage left in the store back into <see cref="Model"/> and their AdamW state
    /// into <see cref="Optimizer"/>, e.g. to sample from or compare the trained model; needs room for all of it.
    /// </summary>
    public void BringBackOffloaded() => _placement.Release(Optimizer);

    private static RunConfig ResolveVocab(RunConfig config, ITokenizer tokenizer)
    {
        if (config.Model.VocabSize == 0) return config with { Model = config.Model with { VocabSize = tokenizer.VocabSize } };
        if (config.Model.VocabSize < tokenizer.VocabSize)
            throw new ConfigException("model.vocab_size", $"{config.Model.VocabSize} is smaller than the tokenizer's {tokenizer.VocabSize} ({tokenizer.Identity})");
        return config;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _placement.Dispose();
        Optimizer.Dispose();
        Model.Dispose();
    }
}
