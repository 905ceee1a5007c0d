using System.Diagnostics;
using GiantSharp.Model;
using GiantSharp.Training.Optim;
using GiantSharp.Training.Steps;
using static TorchSharp.torch;

namespace GiantSharp.Bench;

/// <summary>
/// <c>giant bench train</c>: how close training comes to the machine's matmul rate. First the matmul peak
/// of each precision is measured (<see cref="MatmulPeak"/>), then the preset's model is trained on random
/// tokens for a few steps (warm-up steps untimed) with the engine's own step and AdamW, and model FLOP/s
/// (<see cref="TrainingFlops"/>) is divided by that peak: MFU, as nanoGPT's <c>estimate_mfu</c>.
/// Runs on the threads libtorch is set to (torch.set_num_threads); the caller sets them.
/// </summary>
public static class TrainBench
{
    /// <summary>Measures the peaks, then trains once per precision.</summary>
    /// <param name="preset">Model shape and micro-batch size.</param>
    /// <param name="precisions">Precisions to measure, in order.</param>
    /// <param name="options">Steps, warm-up, seed, peak probe.</param>
    /// <param name="progress">Called with a line as each phase starts, on the calling thread (optional).</param>
    /// <exception cref="ArgumentException">No precision, or a model with MoE layers.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public static TrainBenchReport Run(BenchPreset preset, IReadOnlyList<BenchPrecision> precisions, TrainBenchOptions options, Action<string>? progress = null)
    {
        options.Validate();
        if (precisions.Count == 0) throw new ArgumentException("needs at least one precision", nameof(precisions));
        var peaks = new Dictionary<BenchPrecision, double>();
        foreach (var p in precisions.Distinct())
        {
            progress?.Invoke($"matmul peak, {TrainBenchReport.Name(p)}");
            peaks[p] = MatmulPeak.Measure(ElementType(p), options.PeakSizes, options.PeakRepeats);
        }
        var results = new List<TrainBenchResult>();
        foreach (var p in precisions)
        {
            progress?.Invoke($"training, {TrainBenchReport.Name(p)}: {options.Warmup} warm-up + {options.Steps} timed step(s)");
            results.Add(Train(preset, p, peaks[p], options));
        }
        return new TrainBenchReport(MachineInfo.Current(), DateTimeOffset.Now, preset, options, results);
    }

    /// <summary>Trains the preset's model in one precision and times it.</summary>
    /// <param name="preset">Model shape and micro-batch size.</param>
    /// <param name="precision">fp32, or bf16 with fp32 master weights.</param>
    /// <param name="peakFlopsPerSecond">The matmul peak MFU is taken against, in FLOP/s.</param>
    /// <param name="options">Steps, warm-up, seed, learning rate, clipping.</param>
    /// <exception cref="ArgumentException">The model has MoE layers.</exception>
    public static TrainBenchResult Train(BenchPreset preset, BenchPrecision precision, double peakFlopsPerSecond, TrainBenchOptions options)
    {
        options.Validate();
        var flopsPerToken = TrainingFlops.PerToken(preset.Model);
        manual_seed(options.Seed);
        Offload.HostAllocator.ForResident();   // the malloc policy giant train uses for a resident stage
        using var model = new GptModel(preset.Model);
        model.train();
        using var optimizer = new AdamW(new AdamWOptions());
        using ITrainStep step = precision == BenchPrecision.Bf16 ? new MixedPrecision.MixedPrecisionStep(ScalarType.BFloat16) : new ResidentTrainStep();
        using var scope = NewDisposeScope();
        var batches = RandomBatches(preset, options);

        for (int i = 0; i < options.Warmup; i++)
            step.Step(model, optimizer, batches, options.LearningRate, options.GradClip);
        var seconds = new double[options.Steps];
        double loss = double.NaN;
        var start = CpuUsage.Now();
        for (int i = 0; i < options.Steps; i++)
        {
            var sw = Stopwatch.StartNew();
            loss = step.Step(model, optimizer, batches, options.LearningRate, options.GradClip).Loss;
            seconds[i] = sw.Elapsed.TotalSeconds;
        }
        var othersShare = CpuUsage.Now().OthersShareSince(start, Environment.ProcessorCount);
        var tokensPerStep = options.MicroBatches * preset.TokensPerMicroBatch;
        return new TrainBenchResult(precision, tokensPerStep, StepTiming.Of(seconds).Median, flopsPerToken, peakFlopsPerSecond, loss, othersShare);
    }

    /// <summary>The element type whose matmul peak a precision is measured against.</summary>
    public static ScalarType ElementType(BenchPrecision precision) =>
        precision == BenchPrecision.Bf16 ? ScalarType.BFloat16 : ScalarType.Float32;

    /// <summary>Uniformly random token ids, X (B, T) and its shift by one Y (B, T), per micro-batch; in the current dispose scope.</summary>
    private static MicroBatch[] RandomBatches(BenchPreset preset, TrainBenchOptions options)
    {
        var g = new Generator().manual_seed(options.Seed);
        long b = preset.MicroBatch, t = preset.Model.SeqLen;
        return Enumerable.Range(0, options.MicroBatches).Select(_ =>
        {
            var tokens = randint(0, preset.Model.VocabSize, [b, t + 1], dtype: ScalarType.Int64, generator: g); // (B, T+1)
            return new MicroBatch(tokens.narrow(1, 0, t).contiguous(), tokens.narrow(1, 1, t).contiguous());
        }).ToArray();
    }
}
