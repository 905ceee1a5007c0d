namespace GiantSharp.Multimodal;

/// <summary>How well a model draws the classes it is prompted with (<see cref="MultimodalEvaluation.Generation"/>).</summary>
/// <param name="OnPrompt">Share of generated images the judge labels as the prompted class.</param>
/// <param name="PerClass">On-prompt share per class, in label order.</param>
/// <param name="Fid">Fréchet distance in the judge's features between the generated images and real test images (as many, class-balanced).</param>
/// <param name="FidFloor">The same distance between two disjoint real test samples of that size: what a perfect generator would score.</param>
/// <param name="PerClassCount">Images generated per class.</param>
/// <param name="Images">The generated images (H * W bytes each), class after class.</param>
/// <param name="Seconds">Wall time, in seconds.</param>
public sealed record GenerationScore(double OnPrompt, double[] PerClass, double Fid, double FidFloor, int PerClassCount, IReadOnlyList<byte[]> Images, double Seconds);
