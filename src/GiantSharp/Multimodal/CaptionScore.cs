namespace GiantSharp.Multimodal;

/// <summary>How well a model captions a split (<see cref="MultimodalEvaluation.Captions"/>).</summary>
/// <param name="Accuracy">Share of images whose generated caption names their class (and no other).</param>
/// <param name="Images">Images captioned.</param>
/// <param name="PerClass">Accuracy per class, in label order.</param>
/// <param name="Captions">The generated caption of each image, in split order.</param>
/// <param name="Seconds">Wall time, in seconds.</param>
public sealed record CaptionScore(double Accuracy, int Images, double[] PerClass, string[] Captions, double Seconds);
