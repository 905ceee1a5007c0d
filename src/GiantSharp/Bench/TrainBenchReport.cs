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

    /// <summary>The section body for docs/benchmarks.md: setup, the FLOP count, a table of results, what bf16 means.</summary>
    /// <param name="command">The command line that produced it, quoted verbatim.</param>
    public string ToMarkdown(string command)
    {
        var inv = CultureInfo.InvariantCulture;
        var m = Preset.Model;
        var n = TrainingFlops.NonEmbeddingParameters(m);
        var sb = new StringBuilder();
        sb.AppendLine(inv, $"Measured {Date:yyyy-MM-dd} on {Machine}, TorchSharp-cpu 0.107.0 (libtorch 2.10), with");
        sb.AppendLine();
        sb.AppendLine(inv, $"    {command}");
        sb.AppendLine();
        sb.AppendLine(inv, $"Model: n_layer {m.NLayer}, n_head {m.NHead}, d_model {m.DModel}, d_ff {m.DFf}, vocab {m.VocabSize}, seq_len {m.SeqLen}, dropout {m.Dropout}, bias {m.Bias.ToString().ToLowerInvariant()}, positions {m.Positional};");
        sb.AppendLine(inv, $"{Options.MicroBatches} micro-batch(es) of {Preset.MicroBatch} sequences per step ({Preset.TokensPerMicroBatch * Options.MicroBatches} tokens), random tokens,");
        sb.AppendLine(inv, $"the engine's ResidentTrainStep (cross-entropy, global-norm clip {Options.GradClip}, AdamW); {Options.Warmup} warm-up step(s) untimed, median of {Options.Steps} timed step(s).");
        sb.AppendLine();
        sb.AppendLine(inv, $"FLOPs per token = 6 N + 6 C V + 12 L C T = {TrainingFlops.PerToken(m) / 1e6:F1} M, with N = {n:N0} non-embedding parameters");
        sb.AppendLine("(all blocks and the final LayerNorm; not wte, not wpe), 6 C V the tied LM head's matmul, 12 L C T attention");
        sb.AppendLine("(nanoGPT's estimate_mfu, whose N keeps the tied wte). MFU = model FLOP/s / the matmul peak of the same");
        sb.AppendLine(inv, $"precision, measured just before in the same process (best of {Options.PeakRepeats} square matmuls each of n = {string.Join(", ", Options.PeakSizes)}).");
        sb.AppendLine();
        sb.AppendLine("| precision | matmul peak (GFLOP/s) | step (s) | tokens/s | model GFLOP/s | MFU | loss |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var r in Results)
            sb.AppendLine(inv, $"| {Name(r.Precision)} | {r.PeakFlopsPerSecond / 1e9:F1} | {r.StepSeconds:F2} | {r.TokensPerSecond:F0} | {r.ModelFlopsPerSecond / 1e9:F1} | {r.Mfu:F3} | {r.Loss:F3} |");
        if (Results.Any(r => r.Precision == BenchPrecision.Bf16))
        {
            sb.AppendLine();
            sb.AppendLine("bf16: TorchSharp has no autocast, so the bench keeps a bfloat16 copy of the model and, each step, copies");
            sb.AppendLine("the fp32 master weights into it, runs forward and backward wholly in bf16 (LayerNorm, softmax and");
            sb.AppendLine("cross-entropy too; libtorch's bf16 kernels accumulate in fp32), casts the gradients to fp32 onto the master,");
            sb.AppendLine("and clips and steps AdamW in fp32. The step time includes those copies and the fp32 optimizer.");
        }
        return sb.ToString();
    }

    /// <summary>The short name of a precision as the CLI spells it: fp32, bf16.</summary>
    public static string Name(BenchPrecision precision) => precision.ToString().ToLowerInvariant();
}
