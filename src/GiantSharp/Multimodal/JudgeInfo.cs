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
/// <param name="Recipe">The architecture and training recipe (<see cref="CurrentRecipe"/> when trained by this build; empty in older files).</param>
public sealed record JudgeInfo(string CorpusIdentity, int Classes, int Epochs, int Seed, int TrainImages, int TestImages, double TestAccuracy, double TrainSeconds, string Recipe = "")
{
    /// <summary>What this build trains: a judge saved by another recipe is trained again, not reused.</summary>
    public const string CurrentRecipe = "conv16-conv32-fc128; Adam 3e-3, cosine to 0, batch 128";
}
