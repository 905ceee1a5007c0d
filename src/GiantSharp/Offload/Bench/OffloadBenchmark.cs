using System.Diagnostics;
using GiantSharp.Model;
using GiantSharp.Sharing;
using GiantSharp.Training.Optim;
using GiantSharp.Training.Steps;
using static TorchSharp.torch;

using GiantSharp.Bench;

namespace GiantSharp.Offload.Bench;

/// <summary>
/// Benchmarks of granular offloading, for <c>giant bench offload</c>: step time against resident training,
/// the share of transfer hidden by prefetch, and a scale run of a Real Giant larger than memory. Each returns
/// its figures; nothing is printed unless <c>log</c> is given. Source of the targets: M6-10T sec. 3.2.
/// </summary>
public static class OffloadBenchmark
{
    /// <summary>
    /// Times <paramref name="steps"/> steps (after one warm-up step each) of <paramref name="model"/> three ways:
    /// resident, streamed with nothing offloaded, and streamed under <paramref name="offload"/>. The three runs
    /// take their steps in turn, so a change in the machine's load touches all three alike; medians and best steps are reported.
    /// Batches are random tokens, <paramref name="batch"/> sequences of seq_len per micro-batch.
    /// </summary>
    public static StepTimeFigures StepTime(ModelConfig model, OffloadConfig offload, int steps = 4, int batch = 4, int microBatches = 1)
    {
        var batches = Batches(model, batch, microBatches);
        using var resident = new Run(model, null);
        using var recompute = new Run(model, offload with { Layers = LayerSelection.None });
        using var offloaded = new Run(model, offload);
        var runs = new[] { resident, recompute, offloaded };
        foreach (var r in runs) r.Step(batches);                                // warm-up: allocations, page cache
        foreach (var r in runs) r.Reset();
        for (int s = 0; s < steps; s++)
            foreach (var r in runs) r.Step(batches);
        var label = $"params={Name(offload.Params)} grads={Name(offload.Grads)} optimizer={Name(offload.Optimizer)} layers={offload.Layers} prefetch={offload.Prefetch} keep_activations={offload.KeepActivations}";
        return new StepTimeFigures(label, StepTiming.Of(resident.Times), StepTiming.Of(recompute.Times), StepTiming.Of(offloaded.Times),
            offloaded.Transfer, offloaded.Stall, StepTiming.Of(offloaded.Optimizer));
    }

    /// <summary>
    /// The scale run: builds a Pseudo Giant (one shared block) of width <paramref name="dModel"/> and depth
    /// <paramref name="nLayer"/>, takes one resident step, delinks it into a disk store under <paramref name="dir"/>
    /// (every tier of the <paramref name="layers"/> on disk, default all; the other layers resident), then takes
    /// <paramref name="steps"/> streamed steps of the Real Giant. The store's files are deleted at the end. Run it
    /// in a fresh process: the peak RSS reported is the process's.
    /// </summary>
    public static ScaleFigures ScaleRun(string dir, int dModel = 2048, int nLayer = 64, int steps = 3, int vocab = 1024,
        int seqLen = 16, int prefetch = 1, LayerSelection? layers = null, double lr = 1e-5, Action<string>? log = null)
    {
        var config = new ModelConfig { NLayer = nLayer, NHead = Math.Max(1, dModel / 128), DModel = dModel, DFf = 4 * dModel, VocabSize = vocab, SeqLen = seqLen };
        var offload = new OffloadConfig { Params = Tier.Disk, Grads = Tier.Disk, Optimizer = Tier.Disk, Layers = layers ?? LayerSelection.All, Prefetch = prefetch, Dir = dir };
        var real = OffloadAccounting.Footprint(config, SharingPlan.None, offload);
        log?.Invoke($"Real Giant: {real.Parameters / 1e9:F2} B parameters, state {Units.Bytes(real.TrainingStateBytes)}; disk tier {real.Disk}; device {real.Device}; " +
            $"{Units.Bytes(MachineResources.Probe(dir).DiskFreeBytes)} free on disk");

        using var scope = NewDisposeScope();
        manual_seed(0);
        using var model = new GptModel(config, SharingPlan.All.LayerMap(nLayer));
        model.train();
        using var opt = new AdamW(new AdamWOptions());
        var batch = Batches(config, 1, 1);
        var clock = Stopwatch.StartNew();
        double pseudoLoss;
        using (var pseudo = new ResidentTrainStep()) pseudoLoss = pseudo.Step(model, opt, batch, lr, 1.0).Loss;
        model.zero_grad();
        var pseudoSeconds = clock.Elapsed.TotalSeconds;
        log?.Invoke($"Pseudo Giant step: {pseudoSeconds:F1} s, loss {pseudoLoss:F4}, RSS {Units.Bytes(MachineResources.ResidentBytes())}");

        clock.Restart();
        using var session = StoreDelinker.DelinkToStore(model, opt, offload, OptimizerStateDelink.Scale);
        var delinkSeconds = clock.Elapsed.TotalSeconds;
        var storeBytes = session.Store.BytesOn(Tier.Disk);
        log?.Invoke($"delinked into {Units.Bytes(storeBytes)} on disk in {delinkSeconds:F1} s, RSS {Units.Bytes(MachineResources.ResidentBytes())}, peak {Units.Bytes(MachineResources.PeakResidentBytes())}");

        var seconds = new List<double>();
        var losses = new List<double>();
        using var step = new LayerStreamedTrainStep(session);
        for (int s = 0; s < steps; s++)
        {
            clock.Restart();
            var result = step.Step(model, opt, batch, lr, 1.0);
            seconds.Add(clock.Elapsed.TotalSeconds);
            losses.Add(result.Loss);
            log?.Invoke($"step {s}: {seconds[^1]:F1} s, loss {result.Loss:F4}, {step.LastStats}, peak RSS {Units.Bytes(MachineResources.PeakResidentBytes())}");
        }
        return new ScaleFigures(real.Parameters, real.TrainingStateBytes, MachineResources.MemoryTotal(), storeBytes, pseudoSeconds, delinkSeconds,
            seconds, losses, MachineResources.PeakResidentBytes(), step.LastStats);
    }

    /// <summary>One model with its optimizer and step, timed step by step.</summary>
    private sealed class Run : IDisposable
    {
        private readonly GptModel _model;
        private readonly AdamW _opt = new(new AdamWOptions());
        private readonly OffloadSession? _session;
        private readonly ITrainStep _step;

        public Run(ModelConfig config, OffloadConfig? offload)
        {
            manual_seed(0);
            _model = new GptModel(config);
            _model.train();
            _session = offload is null ? null : OffloadSession.Attach(_model, _opt, offload);
            _step = _session is null ? new ResidentTrainStep() : new LayerStreamedTrainStep(_session);
        }

        public List<double> Times { get; } = new();
        public List<double> Optimizer { get; } = new();
        public double Transfer { get; private set; }
        public double Stall { get; private set; }

        public void Step(MicroBatch[] batches)
        {
            using var scope = NewDisposeScope();
            var clock = Stopwatch.StartNew();
            _step.Step(_model, _opt, batches, 1e-4, 1.0);
            Times.Add(clock.Elapsed.TotalSeconds);
            if (_step is LayerStreamedTrainStep { LastStats: { } stats })
            {
                Transfer += stats.TransferSeconds;
                Stall += stats.StallSeconds;
                Optimizer.Add(stats.OptimizerSeconds);
            }
        }

        public void Reset()
        {
            Times.Clear();
            Optimizer.Clear();
            Transfer = Stall = 0;
        }

        public void Dispose()
        {
            _step.Dispose();
            _session?.Dispose();
            _opt.Dispose();
            _model.Dispose();
        }
    }

    private static MicroBatch[] Batches(ModelConfig config, int batch, int microBatches)
    {
        var g = new Generator().manual_seed(12345);
        return Enumerable.Range(0, microBatches).Select(_ =>
        {
            var tokens = randint(0, config.VocabSize, [batch, config.SeqLen + 1], dtype: ScalarType.Int64, generator: g);
            return new MicroBatch(tokens[.., ..^1].contiguous().DetachFromDisposeScope(), tokens[.., 1..].contiguous().DetachFromDisposeScope());
        }).ToArray();
    }

    private static string Name(Tier t) => t.ToString().ToLowerInvariant();
}
