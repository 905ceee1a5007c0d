using GiantSharp.Data;
using GiantSharp.Model;
using static TorchSharp.torch;

namespace GiantSharp.Training;

/// <summary>Validation loss of a model on a fixed, evenly spread set of sequences of a corpus's val split.</summary>
public static class Evaluator
{
    /// <summary>
    /// Mean next-token cross-entropy (nats per predicted token) over the corpus's fixed validation set of
    /// <paramref name="sequences"/> rows (for text, windows of seq_len + 1 tokens), in batches of
    /// <paramref name="batchSize"/>; eval mode and no_grad during, the model's training flag restored after.
    /// Perplexity is exp of the result.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="corpus">The corpus whose val split is evaluated.</param>
    /// <param name="sequences">Rows to evaluate (spread evenly over the split).</param>
    /// <param name="batchSize">Rows per forward pass.</param>
    /// <param name="device">Where the model is (default: the tokens stay on the CPU).</param>
    /// <param name="forward">Logits (B, T, V) of an input X; default <c>model.call</c>. An offloaded run streams its layers here.</param>
    /// <exception cref="Errors.DataException">The val split is too short for seq_len.</exception>
    public static double Loss(GptModel model, ITrainingCorpus corpus, int sequences, int batchSize, Device? device = null, Func<Tensor, Tensor>? forward = null)
    {
        forward ??= model.call;
        var seqLen = model.Config.SeqLen;
        int batches = corpus.ValBatchCount(sequences, batchSize);
        var wasTraining = model.training;
        model.eval();
        try
        {
            using var _ = no_grad();
            double total = 0;
            long targets = 0;
            for (int i = 0; i < batches; i++)
            {
                using var scope = NewDisposeScope();
                var (x, y) = corpus.ValBatch(seqLen, sequences, batchSize, i);
                if (device is not null) { x = x.to(device); y = y.to(device); }
                var loss = LanguageModelLoss.CrossEntropy(forward(x), y);
                AuxiliaryLosses.Take(model);
                AuxiliaryLosses.TakeMetrics(model);
                long count = y.ne(ITrainingCorpus.IgnoreTarget).sum().item<long>();
                if (count > 0) total += loss.item<float>() * (double)count;
                targets += count;
            }
            return targets == 0 ? double.NaN : total / targets;
        }
        finally
        {
            model.train(wasTraining);
        }
    }
}
