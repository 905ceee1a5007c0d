namespace GiantSharp.Multimodal;

/// <summary>What <c>judge.json</c> records of an <see cref="ImageJudge"/>.</summary>
/// <param name="CorpusIdentity">The image-text tokenizer identity of the corpus it was trained on.</param>
/// <param name="Classes">Number of classes.</param>
/// <param name="Epochs">Training epochs.</param>
/// <param name="Seed">Seed of the initial weights and the batch order.</param>
/// <param name="TrainImages">Images trained on (the corpus's train split).</param>
/// <param name="TestImages">Images it was measured on (the corpus's test split).</param>
/// <param name="TestAccuracy">Share of test images it labels right.</param>
/// <param name="TrainSeconds">Wall time of training and measuring, in seconds.</param>
public sealed record JudgeInfo(string CorpusIdentity, int Classes, int Epochs, int Seed, int TrainImages, int TestImages, double TestAccuracy, double TrainSeconds);
