using GiantSharp.Config;
using GiantSharp.Errors;
using GiantSharp.Training.Steps;

namespace GiantSharp.Parallel;

/// <summary>
/// Which part of a step's global batch a rank computes, so that N ranks together see exactly the batch one process would:
/// whole micro-batches when the accumulation steps divide by N (rank r takes micro-batches [r M/N, (r+1) M/N)), else
/// rows of every micro-batch when micro_batch divides by N (rank r takes rows [r B/N, (r+1) B/N)). Either way every rank
/// holds the same number of rows, so the mean of the ranks' mean losses is the global mean.
/// </summary>
public static class DataShare
{
    /// <summary>Checks that every stage's batch splits evenly over <paramref name="worldSize"/> ranks.</summary>
    /// <exception cref="ConfigException">Key <c>stages[i].global_batch</c>: neither the accumulation steps nor micro_batch divide by the world size.</exception>
    public static void Validate(RunConfig config, int worldSize)
    {
        for (int i = 0; i < config.Stages.Count; i++)
        {
            var s = config.Stages[i];
            if (s.AccumulationSteps % worldSize != 0 && s.MicroBatch % worldSize != 0)
                throw new ConfigException($"stages[{i}].global_batch", $"{s.GlobalBatch} rows in micro-batches of {s.MicroBatch} do not split over {worldSize} ranks: " +
                    $"make global_batch / micro_batch or micro_batch a multiple of {worldSize}");
        }
    }

    /// <summary>This rank's micro-batches of <paramref name="global"/> (all M micro-batches of the step, each (B, T)).</summary>
    /// <exception cref="ArgumentException">The batch does not split evenly (see <see cref="Validate"/>).</exception>
    public static IReadOnlyList<MicroBatch> Take(IReadOnlyList<MicroBatch> global, int rank, int worldSize)
    {
        if (worldSize == 1) return global;
        int m = global.Count;
        if (m % worldSize == 0)
            return global.Skip(rank * (m / worldSize)).Take(m / worldSize).ToList();
        long b = global[0].X.shape[0];
        if (b % worldSize != 0) throw new ArgumentException($"{m} micro-batches of {b} rows do not split over {worldSize} ranks");
        long rows = b / worldSize;
        return global.Select(mb => new MicroBatch(mb.X.narrow(0, rank * rows, rows), mb.Y.narrow(0, rank * rows, rows))).ToList();
    }
}
