using System.Globalization;
using GiantSharp.Config;

namespace GiantSharp.Experiments;

/// <summary>
/// Where a Pseudo-to-Real run delinks, as the sweep of issue 8 varies it: a fixed share of the run's steps spent as the
/// Pseudo Giant, or <c>auto</c> (Yang et al. 2021, sec. 4: when the gradients of the layers sharing a block stop
/// agreeing; <see cref="DelinkTiming.Auto"/>).
/// </summary>
/// <param name="Share">Share of the total steps as the Pseudo Giant, in (0, 1); with <see cref="Auto"/>, the most it may spend.</param>
/// <param name="Auto">Whether the trainer's agreement rule ends the Pseudo stage (at the latest after <see cref="Share"/>).</param>
public sealed record SwitchPoint(double Share, bool Auto)
{
    /// <summary>The label used in tables and curves, e.g. <c>switch=0.25</c> or <c>switch=auto</c>.</summary>
    public string Label => Auto ? "switch=auto" : $"switch={Share.ToString("0.###", CultureInfo.InvariantCulture)}";

    /// <summary>
    /// Parses <c>0.1,0.25,auto</c>: shares in (0, 1) of the total steps, and <c>auto</c>, whose cap is
    /// <paramref name="autoCap"/> (the preset's own Pseudo share).
    /// </summary>
    /// <exception cref="Errors.ConfigException">An entry is neither a share in (0, 1) nor <c>auto</c>, or the list is empty.</exception>
    public static List<SwitchPoint> Parse(string text, double autoCap)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) throw new Errors.ConfigException("--switch", "needs at least one share in (0, 1) or 'auto'");
        return parts.Select(p => p.Equals("auto", StringComparison.OrdinalIgnoreCase) ? new SwitchPoint(autoCap, true)
            : double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) && f is > 0 and < 1 ? new SwitchPoint(f, false)
            : throw new Errors.ConfigException("--switch", $"each entry must be a share in (0, 1) or 'auto', got '{p}'")).Distinct().ToList();
    }

    /// <summary>
    /// The two-stage run (<paramref name="baseRun"/>'s first stage shares, its last delinks) with the same total steps,
    /// split at this point (at least one step each), seed <paramref name="seed"/>, in <paramref name="outDir"/>.
    /// </summary>
    /// <exception cref="Errors.ConfigException">The base run is not two stages, sharing then delinked.</exception>
    public RunConfig Apply(RunConfig baseRun, long seed, string outDir)
    {
        if (baseRun.Stages.Count != 2) throw new Errors.ConfigException("stages", $"a switch sweep needs two stages (Pseudo Giant, Real Giant), got {baseRun.Stages.Count}");
        int total = baseRun.TotalSteps;
        int pseudo = Math.Clamp((int)Math.Round(Share * total), 1, total - 1);
        return baseRun with
        {
            Name = $"{baseRun.Name}-{Label.Replace('=', '-')}-seed{seed}",
            OutDir = outDir,
            Seed = seed,
            Stages = [baseRun.Stages[0] with { Steps = pseudo }, baseRun.Stages[1] with { Steps = total - pseudo }],
            Delink = baseRun.Delink with { When = Auto ? DelinkTiming.Auto : DelinkTiming.Scheduled },
        };
    }
}
