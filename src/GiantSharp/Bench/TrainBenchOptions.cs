namespace GiantSharp.Bench;

/// <summary>How <see cref="TrainBench"/> measures: steps, seeds, and the matmul-peak probe.</summary>
public sealed record TrainBenchOptions
{
    /// <summary>Timed optimizer steps per precision.</summary>
    public int Steps { get; init; } = 3;
    /// <summary>Untimed steps before them (allocator, kernel selection, first AdamW state).</summary>
    public int Warmup { get; init; } = 1;
    /// <summary>Micro-batches per optimizer step (gradient accumulation).</summary>
    public int MicroBatches { get; init; } = 1;
    /// <summary>Seed of the model initialisation and of the random tokens.</summary>
    public long Seed { get; init; } = 1337;
    /// <summary>Constant learning rate of the AdamW steps (low enough that the repeated batch's loss falls without a warm-up).</summary>
    public double LearningRate { get; init; } = 1e-4;
    /// <summary>Global gradient-norm clip (as in training, so its cost is measured); 0 disables it.</summary>
    public double GradClip { get; init; } = 1.0;
    /// <summary>Square matmul sizes n probed for the peak.</summary>
    public IReadOnlyList<int> PeakSizes { get; init; } = MatmulPeak.DefaultSizes;
    /// <summary>Timed matmuls per size for the peak (best one counts).</summary>
    public int PeakRepeats { get; init; } = 5;

    /// <summary>Checks the values and throws on the first bad one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A count is out of range.</exception>
    public TrainBenchOptions Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Steps, 1, nameof(Steps));
        ArgumentOutOfRangeException.ThrowIfNegative(Warmup, nameof(Warmup));
        ArgumentOutOfRangeException.ThrowIfLessThan(MicroBatches, 1, nameof(MicroBatches));
        ArgumentOutOfRangeException.ThrowIfLessThan(PeakRepeats, 1, nameof(PeakRepeats));
        if (PeakSizes.Count == 0 || PeakSizes.Any(n => n < 1)) throw new ArgumentOutOfRangeException(nameof(PeakSizes), "needs at least one size >= 1");
        return this;
    }
}
