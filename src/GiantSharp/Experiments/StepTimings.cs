using GiantSharp.Training;

namespace GiantSharp.Experiments;

/// <summary>
/// Seconds per step of a Pseudo-to-Real run, measured: the median Pseudo Giant step and the median Real Giant step
/// (each stage's first step left out, as warm-up and, for the Real Giant, the carrier of the switch), and the switch
/// itself (the Real Giant's first step minus its median: delinking into the store).
/// </summary>
/// <param name="PseudoStepSeconds">Median Pseudo Giant step, in seconds.</param>
/// <param name="RealStepSeconds">Median Real Giant step, in seconds.</param>
/// <param name="SwitchSeconds">Delinking into the store, in seconds.</param>
public sealed record StepTimings(double PseudoStepSeconds, double RealStepSeconds, double SwitchSeconds)
{
    /// <summary>The timings of a fresh run whose steps were <paramref name="steps"/>, in order (two stages, at least two steps each).</summary>
    /// <exception cref="ArgumentException">A stage has fewer than two steps.</exception>
    public static StepTimings From(IReadOnlyList<StepLog> steps)
    {
        // Each step's seconds: the growth of the run's training time (a switch's time lands on the step after it).
        var seconds = steps.Select((s, i) => (s.StageIndex, Seconds: s.TrainSeconds - (i > 0 ? steps[i - 1].TrainSeconds : 0))).ToList();
        var byStage = seconds.GroupBy(s => s.StageIndex).OrderBy(g => g.Key).Select(g => g.Select(x => x.Seconds).ToList()).ToList();
        if (byStage.Count != 2 || byStage.Any(s => s.Count < 2)) throw new ArgumentException("calibration needs two stages of at least two steps each");
        var pseudo = Bench.StepTiming.Of(byStage[0].Skip(1).ToList()).Median;
        var real = Bench.StepTiming.Of(byStage[1].Skip(1).ToList()).Median;
        return new StepTimings(pseudo, real, Math.Max(0, byStage[1][0] - real));
    }

    /// <inheritdoc />
    public override string ToString() => $"pseudo step {PseudoStepSeconds:F2} s, real step {RealStepSeconds:F2} s, switch {SwitchSeconds:F1} s";
}
