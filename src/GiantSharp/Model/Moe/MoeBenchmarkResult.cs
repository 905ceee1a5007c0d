namespace GiantSharp.Model.Moe;

/// <summary>Throughput of a dense FFN and an MoE FFN of the same active FLOPs, measured in one run.</summary>
/// <param name="DenseTokensPerSecond">Dense FFN, forward + backward, in tokens/s, from its fastest iteration.</param>
/// <param name="MoeTokensPerSecond">MoE FFN (router, dispatch, experts, combine, aux loss), forward + backward, in tokens/s, from its fastest iteration.</param>
/// <param name="Ratio">MoE over dense tokens/s, best iteration of each (the bar: at least 0.7 for 8 experts, top-1).</param>
/// <param name="MedianRatio">
/// Median dense time / median MoE time over the iterations (<see cref="Bench.StepTiming"/>): lower than <paramref name="Ratio"/>
/// when other processes compete for the cores (every extra op then risks a wait at its thread barrier). The target is judged on it.
/// </param>
/// <param name="DroppedFraction">Share of the MoE's routing assignments dropped for capacity, over all iterations.</param>
/// <param name="Threads">Intra-op threads torch used.</param>
public sealed record MoeBenchmarkResult(double DenseTokensPerSecond, double MoeTokensPerSecond, double Ratio, double MedianRatio, double DroppedFraction, int Threads);
