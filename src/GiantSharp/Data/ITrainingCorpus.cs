using static TorchSharp.torch;

namespace GiantSharp.Data;

/// <summary>
/// What the trainer and the evaluator read: a text corpus (<see cref="PreparedCorpus"/>) or an image-text corpus
/// (<see cref="Images.ImageTextCorpus"/>). Batches are pure functions of their numbers, so a resumed run draws the
/// same ones. X is (B, T) token ids or a multimodal input (B, T, 2 + P) (<see cref="Model.ModelInput"/>); Y is (B, T)
/// next-token targets; both int64 on the CPU; Y is <see cref="IgnoreTarget"/> where nothing is predicted.
/// </summary>
public interface ITrainingCorpus : IDisposable
{
    /// <summary>The target value that the loss skips (cross-entropy's default ignore_index).</summary>
    const long IgnoreTarget = -100;

    /// <summary>The corpus folder, absolute.</summary>
    string Directory { get; }

    /// <summary>The tokenizer the corpus was written with (its vocabulary sets vocab_size).</summary>
    ITokenizer Tokenizer { get; }

    /// <summary>Throws unless a model with context <paramref name="seqLen"/> and patch width <paramref name="patchDim"/> can read this corpus.</summary>
    /// <exception cref="Errors.ConfigException">Key <c>model.seq_len</c> or <c>model.patch_dim</c>: too short, or the wrong width.</exception>
    /// <exception cref="Errors.DataException">A split is too short.</exception>
    void EnsureFits(int seqLen, int patchDim);

    /// <summary>Training batch number <paramref name="index"/> (&gt;= 0) of <paramref name="batchSize"/> rows, drawn with <paramref name="seed"/>.</summary>
    (Tensor X, Tensor Y) TrainBatch(int seqLen, long seed, long index, int batchSize);

    /// <summary>How many validation batches <paramref name="sequences"/> rows make in batches of <paramref name="batchSize"/>.</summary>
    int ValBatchCount(int sequences, int batchSize);

    /// <summary>Validation batch <paramref name="index"/> of a fixed set of <paramref name="sequences"/> rows spread evenly over the val split.</summary>
    (Tensor X, Tensor Y) ValBatch(int seqLen, int sequences, int batchSize, int index);

    /// <summary>
    /// Tokens per UTF-8 byte of the val split's text (end-of-text ids counted as tokens), to turn a val loss into bits
    /// per byte; null where the corpus does not know its bytes (image-text, or prepared before they were recorded).
    /// </summary>
    double? ValTokensPerByte => null;
}
