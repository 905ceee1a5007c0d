using System.Globalization;
using System.Text;

namespace GiantSharp.Bench;

/// <summary>Everything one <c>giant bench train</c> run measured, and where and how.</summary>
/// <param name="Machine">Cores, CPU model, libtorch threads.</param>
/// <param name="Date">When the run finished.</param>
/// <param name="Preset">The model shape and micro-batch trained.</param>
/// <param name="Options">Steps, warm-up and the other settings.</param>
/// <param name="Results">One row per precision, in the order run.</param>
public sealed record TrainBenchReport(MachineInfo Machine, DateTimeOffset Date, BenchPreset Preset, TrainBenchOptions Options, IReadOnlyList<TrainBenchResult> Results)
{
    /// <summary>The heading of this benchmark's section in docs/benchmarks.md.</summary>
    public const string SectionTitle = "Training throughput (giant bench train)";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Target MFU of fp32 training (issue 9).</summary>
    public const double Fp32MfuTarget = 0.55;
    /// <summary>Target MFU of bf16 training against the bf16 matmul peak (issue 9).</summary>
    public const double Bf16MfuTarget = 0.5;
    /// <summary>Target bf16 / fp32 tokens/s (issue 9).</summary>
    public const double Bf16SpeedupTarget = 3;

    /// <summary>Every target this run's figures can be judged against: each precision's MFU, and bf16/fp32 tokens/s when both ran.</summary>
    public IReadOnlyList<BenchTarget> Targets() => Results.SelectMany(TargetsOf).ToList();

    private IEnumerable<BenchTarget> TargetsOf(TrainBenchResult r)
    {
        yield return BenchTarget.Min($"{Name(r.Precision)} MFU (median step)", r.Mfu, r.Precision == BenchPrecision.Bf16 ? Bf16MfuTarget : Fp32MfuTarget, "F3");
        if (r.Precision == BenchPrecision.Bf16 && Results.FirstOrDefault(x => x.Precision == BenchPrecision.Fp32) is { } fp32)
            yield return BenchTarget.Min("bf16 / fp32 tokens/s (median steps)", r.TokensPerSecond / fp32.TokensPerSecond, Bf16SpeedupTarget);
    }

    /// <summary>
    /// The section body for docs/benchmarks.md: what is measured and how FLOPs are counted, then one
    /// <c>### fp32</c> / <c>### bf16</c> subsection per precision with its run (date, command, table).
    /// Subsections of precisions not measured in this run are kept from <paramref name="previousSection"/>,
    /// so that a slow bf16 run and an fp32 run can be recorded by separate commands.
    /// </summary>
    /// <param name="command">The command line that produced this report, quoted verbatim.</param>
    /// <param name="previousSection">The section body as it stands (<see cref="BenchmarkDocument.ReadSection"/>), or null.</param>
    public string ToMarkdown(string command, string? previousSection = null)
    {
        var m = Preset.Model;
        var sb = new StringBuilder();
        sb.AppendLine(Inv, $"Model: n_layer {m.NLayer}, n_head {m.NHead}, d_model {m.DModel}, d_ff {m.DFf}, vocab {m.VocabSize}, seq_len {m.SeqLen}, dropout {m.Dropout}, bias {m.Bias.ToString().ToLowerInvariant()}, positions {m.Positional};");
        sb.AppendLine(Inv, $"{Options.MicroBatches} micro-batch(es) of {Preset.MicroBatch} sequences per step ({Preset.TokensPerMicroBatch * Options.MicroBatches} tokens) of random tokens; the engine's");
        sb.AppendLine(Inv, $"ResidentTrainStep (cross-entropy, global-norm clip {Options.GradClip}, AdamW at lr {Options.LearningRate}). Step time is the median of the");
        sb.AppendLine(Inv, $"timed steps; loss is the last one's, in nats per token (chance: ln V = {Math.Log(m.VocabSize):F2}; the one batch is repeated, so it falls).");
        sb.AppendLine();
        sb.AppendLine(Inv, $"FLOPs per token = 6 N + 6 C V + 12 L C T = {TrainingFlops.PerToken(m) / 1e6:F1} M, with N = {TrainingFlops.NonEmbeddingParameters(m):N0} non-embedding");
        sb.AppendLine("parameters (all blocks and the final LayerNorm; not wte, not wpe), 6 C V the tied LM head's matmul and 12 L C T");
        sb.AppendLine("attention: nanoGPT's estimate_mfu, whose N keeps the tied wte. MFU = model FLOP/s / the matmul peak of the same");
        sb.AppendLine("precision, measured just before in the same process: the best square matmul (layouts a b, a bᵀ, aᵀ b;");
        sb.AppendLine(Inv, $"n = {string.Join(", ", Options.PeakSizes)}; best of {Options.PeakRepeats} runs after a warm-up). \"CPU used by others\" is the share of");
        sb.AppendLine("all cores' time that other processes took during the timed steps (from /proc/stat): well above zero, the machine");
        sb.AppendLine("was shared and the step time overstates what it can do.");
        var previous = previousSection is null ? [] : BenchmarkDocument.Subsections(previousSection);
        foreach (var precision in Enum.GetValues<BenchPrecision>())
        {
            var result = Results.FirstOrDefault(r => r.Precision == precision);
            var text = result is not null ? Subsection(result, command) : previous.FirstOrDefault(s => s.Title == Name(precision)).Text;
            if (text is null) continue;
            sb.AppendLine();
            sb.AppendLine(text.TrimEnd('\n'));
        }
        return sb.ToString();
    }

    private string Subsection(TrainBenchResult r, string command)
    {
        var sb = new StringBuilder();
        sb.AppendLine(Inv, $"### {Name(r.Precision)}");
        sb.AppendLine();
        sb.AppendLine(Inv, $"Measured {Date:yyyy-MM-dd} on {Machine}, TorchSharp-cpu 0.107.0 (libtorch 2.10): {Options.Warmup} warm-up step(s), {Options.Steps} timed.");
        sb.AppendLine();
        sb.AppendLine(Inv, $"    {command}");
        sb.AppendLine();
        sb.AppendLine("| precision | matmul peak (GFLOP/s) | median step (s) | tokens/s | model GFLOP/s | MFU | loss | CPU used by others |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        sb.AppendLine(Inv, $"| {Name(r.Precision)} | {r.PeakFlopsPerSecond / 1e9:F1} | {r.StepSeconds:F2} | {r.TokensPerSecond:F0} | {r.ModelFlopsPerSecond / 1e9:F1} | {r.Mfu:F3} | {r.Loss:F3} | {Percent(r.OthersCpuShare)} |");
        sb.AppendLine();
        sb.AppendLine(BenchTarget.Markdown(TargetsOf(r).ToList()));
        if (r.Precision == BenchPrecision.Bf16)
        {
            sb.AppendLine();
            sb.AppendLine("TorchSharp has no autocast, so the bench keeps a bfloat16 copy of the model and, each step, copies the fp32");
            sb.AppendLine("master weights into it, runs forward and backward wholly in bf16 (LayerNorm, softmax and cross-entropy too;");
            sb.AppendLine("libtorch's bf16 kernels accumulate in fp32), casts the gradients to fp32 onto the master, and clips and steps");
            sb.AppendLine("AdamW in fp32. The step time includes those copies and the fp32 optimizer. On a CPU without bf16 GEMM");
            sb.AppendLine("kernels (AVX512-BF16 or AMX) libtorch's bf16 matmuls fall back to scalar loops, as the peak above shows.");
        }
        return sb.ToString();
    }

    /// <summary>A share in [0, 1] as a whole percentage, or "n/a" when unknown.</summary>
    public static string Percent(double share) => double.IsNaN(share) ? "n/a" : (share * 100).ToString("F0", Inv) + "%";

    /// <summary>The short name of a precision as the CLI spells it: fp32, bf16.</summary>
    public static string Name(BenchPrecision precision) => precision.ToString().ToLowerInvariant();
}
