using GiantSharp.Data;
using GiantSharp.Model;
using static TorchSharp.torch;

namespace GiantSharp.Training;

/// <summary>Validation loss of a model on a fixed, evenly spread set of sequences of a token shard.</summary>
public static class Evaluator
{
    /// <summary>
    /// Mean next-token cross-entropy (nats per token) over <paramref name="sequences"/> windows of
    /// seq_len + 1 tokens of <paramref name="shard"/>, in batches of <paramref name="batchSize"/>; eval mode
    /// and no_grad during, the model's training flag restored after. Perplexity is exp of the result.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="shard">Tokens to evaluate on.</param>
    /// <param name="sequences">Windows to evaluate (spread evenly over the shard).</param>
    /// <param name="batchSize">Windows per forward pass.</param>
    /// <param name="device">Where the model is (default: the tokens stay on the CPU).</param>
    /// <param name="forward">Logits (B, T, V) of tokens (B, T); default <c>model.call</c>. An offloaded run streams its layers here.</param>
    /// <exception cref="Errors.DataException">The shard is shorter than seq_len + 1 tokens.</exception>
    public static double Loss(GptModel model, TokenShard shard, int sequences, int batchSize, Device? device = null, Func<Tensor, Tensor>? forward = null)
    {
        forward ??= model.call;
        var seqLen = model.Config.SeqLen;
        var offsets = BatchSampler.EvalOffsets(shard, seqLen, sequences);
        var wasTraining = model.training;
        model.eval();
        try
        {
            using var _ = no_grad();
            double total = 0;
            for (int i = 0; i < offsets.Length; i += batchSize)
            {
                using var scope = NewDisposeScope();
                var chunk = offsets.AsSpan(i, Math.Min(batchSize, offsets.Length - i));
                var (x, y) = shard.GetBatch(chunk, seqLen);
                if (device is not null) { x = x.to(device); y = y.to(device); }
                var loss = LanguageModelLoss.CrossEntropy(forward(x), y);
                AuxiliaryLosses.Take(model);
                AuxiliaryLosses.TakeMetrics(model);
                total += loss.item<float>() * chunk.Length;
            }
            return total / offsets.Length;
        }
        finally
        {
            model.train(wasTraining);
        }
    }
}
