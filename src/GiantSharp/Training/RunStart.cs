using System.Globalization;
using GiantSharp.Config;
using GiantSharp.Model;

namespace GiantSharp.Training;

/// <summary>
/// What a run is about to do, told once before its first step (<see cref="ITrainingObserver.OnRunStart"/>): the
/// model's parameters, the tokens each optimizer step consumes, where each stage's layers live and what it computes in.
/// </summary>
/// <param name="Name">The run's name.</param>
/// <param name="Step">The step the run starts from (0, or the resumed checkpoint's).</param>
/// <param name="Stages">Per stage, in order: its name, parameters stored, tokens per optimizer step and placement.</param>
/// <param name="ParametersPerLayer">Parameters of one dense block (two LayerNorms, attention, FFN); for an MoE block see <paramref name="ParametersPerMoeLayer"/>.</param>
/// <param name="ParametersPerMoeLayer">Parameters of one MoE block (router and every expert), or 0 for a dense model.</param>
/// <param name="ActiveParameters">Parameters one token's forward pass touches over all layers (<see cref="ModelSize.ActiveParametersPerToken"/>).</param>
/// <param name="FlopsPerToken">Training FLOPs per token (<see cref="ModelSize.FlopsPerToken"/>), the numerator of MFU.</param>
/// <param name="Precision">The precision chosen and why, e.g. <c>precision: fp32 (the config asks for fp32)</c>.</param>
/// <param name="PeakFlopsPerSecond">The matmul peak MFU is measured against, in FLOP/s, or null when MFU is not reported.</param>
public sealed record RunStart(string Name, int Step, IReadOnlyList<RunStart.StagePlan> Stages, long ParametersPerLayer, long ParametersPerMoeLayer,
    long ActiveParameters, long FlopsPerToken, string Precision, double? PeakFlopsPerSecond)
{
    /// <summary>One stage as it will train.</summary>
    /// <param name="Name">Stage name.</param>
    /// <param name="StoredParameters">Unique parameters of the model in this stage (the Pseudo Giant stores one block).</param>
    /// <param name="TokensPerStep">Tokens per optimizer step: global_batch x seq_len.</param>
    /// <param name="Placement">Where its layers live, e.g. <c>resident</c> or <c>streamed: ...</c>.</param>
    public sealed record StagePlan(string Name, long StoredParameters, long TokensPerStep, string Placement);

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The start of a run of <paramref name="config"/> (validated, vocab_size resolved).</summary>
    /// <param name="config">The run.</param>
    /// <param name="step">The step it starts from.</param>
    /// <param name="precision">The precision line (<see cref="MixedPrecision.PrecisionChoice.Describe"/>).</param>
    /// <param name="placement">Where stage i's layers live, one line.</param>
    /// <param name="peakFlopsPerSecond">The matmul peak for MFU, or null.</param>
    public static RunStart Of(RunConfig config, int step, string precision, Func<int, string> placement, double? peakFlopsPerSecond)
    {
        var m = config.Model;
        var real = ModelSize.Of(m, m.NLayer);
        var stages = config.Stages.Select((s, i) => new StagePlan(s.Name, ModelSize.Of(m, s.Sharing.UniqueBlocks(m.NLayer)).UniqueParameters,
            (long)s.GlobalBatch * m.SeqLen, placement(i))).ToList();
        return new RunStart(config.Name, step, stages, ModelSize.BlockParameters(m, isMoe: false), m.Moe is null ? 0 : ModelSize.BlockParameters(m, isMoe: true),
            real.ActiveParametersPerToken, real.FlopsPerToken, precision, peakFlopsPerSecond);
    }

    /// <summary>The lines a console prints: parameters, tokens per step, placement per stage, precision, the MFU peak.</summary>
    public IReadOnlyList<string> Lines()
    {
        var moe = ParametersPerMoeLayer > 0 ? string.Create(Inv, $" (MoE layer {ParametersPerMoeLayer:N0})") : "";
        var lines = new List<string>
        {
            "parameters stored: " + string.Join(", ", Stages.Select(s => string.Create(Inv, $"{s.StoredParameters:N0} ({s.Name})"))) +
                string.Create(Inv, $"; per layer {ParametersPerLayer:N0}{moe}; active per token {ActiveParameters:N0}"),
            "tokens per optimizer step: " + string.Join(", ", Stages.Select(s => string.Create(Inv, $"{s.TokensPerStep:N0} ({s.Name})"))),
            "placement: " + string.Join(", ", Stages.Select(s => $"{s.Name} {s.Placement.Split(':')[0]}")) +
                (Stages.Any(s => s.Placement.Contains(':')) ? " (each stage's plan follows when it starts)" : ""),
            Precision,
        };
        if (PeakFlopsPerSecond is { } peak)
            lines.Add(string.Create(Inv, $"MFU against a matmul peak of {peak / 1e9:F1} GFLOP/s measured now; {FlopsPerToken / 1e6:F2} MFLOPs per token (6 N + 12 L C T)"));
        return lines;
    }

    /// <summary>Model FLOPs utilisation of <paramref name="tokensPerSecond"/>: tokens/s x FLOPs per token / peak; null without a peak.</summary>
    public double? Mfu(double tokensPerSecond) => PeakFlopsPerSecond is > 0 and var peak ? tokensPerSecond * FlopsPerToken / peak : null;
}
