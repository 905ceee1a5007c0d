using System.Diagnostics;
using GiantSharp.Bench;
using GiantSharp.Model;
using GiantSharp.Training.Optim;
using GiantSharp.Training.Steps;
using static TorchSharp.torch;

namespace GiantSharp.Parallel;

/// <summary>
/// The rank side of <c>giant bench parallel</c>: trains a preset's model on random tokens with the global batch of
/// <paramref name="microBatches"/> micro-batches per step, split over the world's ranks (data parallelism, ZeRO per
/// <paramref name="config"/>), and times the steps after <paramref name="warmup"/> untimed ones. Every rank runs it;
/// the figures are rank 0's (the slowest rank sets the pace of every step, as collectives wait for it).
/// </summary>
public static class ParallelBench
{
    /// <summary>What one launch measured.</summary>
    /// <param name="Ranks">World size.</param>
    /// <param name="StepSeconds">Median wall time of the timed steps (<see cref="Bench.StepTiming"/>).</param>
    /// <param name="TokensPerSecond">Global batch tokens per second.</param>
    /// <param name="CommShare">Share of step time inside collectives on rank 0 (includes waiting for the other ranks).</param>
    /// <param name="BytesPerStep">Payload bytes rank 0 handed to collectives per step.</param>
    /// <param name="Loss">Last step's loss (the same for any number of ranks).</param>
    public sealed record Result(int Ranks, double StepSeconds, double TokensPerSecond, double CommShare, double BytesPerStep, double Loss);

    /// <summary>Runs the measurement on this rank.</summary>
    /// <exception cref="ArgumentOutOfRangeException">steps &lt; 1, warmup &lt; 0, or micro-batches not a multiple of the world size.</exception>
    public static Result Run(BenchPreset preset, ParallelConfig config, int microBatches, int steps, int warmup, long seed = 1234)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(warmup);
        var comm = Communicator.World;
        if (microBatches % comm.Size != 0) throw new ArgumentOutOfRangeException(nameof(microBatches), $"{microBatches} micro-batches do not split over {comm.Size} ranks");
        manual_seed(seed);
        using var model = new GptModel(preset.Model);
        model.train();
        using var optimizer = new AdamW(new AdamWOptions());
        using ITrainStep step = comm.IsDistributed ? new DataParallelTrainStep(comm, config) : new ResidentTrainStep();
        using var scope = NewDisposeScope();
        var g = new Generator().manual_seed(seed);
        long b = preset.MicroBatch, t = preset.Model.SeqLen;
        var batches = Enumerable.Range(0, microBatches).Select(_ =>
        {
            var tokens = randint(0, preset.Model.VocabSize, [b, t + 1], dtype: ScalarType.Int64, generator: g); // (B, T+1)
            return new MicroBatch(tokens.narrow(1, 0, t).contiguous(), tokens.narrow(1, 1, t).contiguous());
        }).ToArray();
        double comm0 = 0, bytes0 = 0, loss = 0;
        var seconds = new List<double>();
        for (int i = 0; i < warmup + steps; i++)
        {
            if (i == warmup) { comm.Barrier(); comm0 = comm.CommunicationSeconds; bytes0 = comm.BytesCommunicated; }
            var clock = Stopwatch.StartNew();
            var r = step.Step(model, optimizer, batches, 1e-4, 1.0);
            if (i >= warmup) seconds.Add(clock.Elapsed.TotalSeconds);
            loss = r.Loss;
        }
        var perStep = Bench.StepTiming.Of(seconds).Median;
        return new Result(comm.Size, perStep, microBatches * b * t / perStep, (comm.CommunicationSeconds - comm0) / seconds.Sum(),
            (comm.BytesCommunicated - bytes0) / steps, loss);
    }
}
