using GiantSharp.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace GiantSharp.Inference;

/// <summary>
/// Autoregressive sampling from a <see cref="GptModel"/> (for <c>giant generate</c>): the context is cropped to
/// the last seq_len tokens, the last position's logits (V) are divided by the temperature, filtered by top-k
/// and then by nucleus (top-p), and a token is drawn from their softmax with a seeded torch.Generator.
/// Temperature 0 is greedy (argmax). Sources: nanoGPT's <c>generate</c> (crop, temperature, top-k);
/// Holtzman et al. 2020, "The Curious Case of Neural Text Degeneration", sec. 3.1 (nucleus sampling).
/// </summary>
public static class Sampler
{
    /// <summary>
    /// Continues <paramref name="prompt"/> by up to <paramref name="maxNewTokens"/> tokens. Runs in eval mode
    /// (dropout off; the model's mode is restored afterwards) under no_grad, one dispose scope per token.
    /// The same arguments and seed give the same tokens.
    /// </summary>
    /// <param name="model">The model; its parameters' device is where sampling runs.</param>
    /// <param name="prompt">Token ids in [0, V), at least one; longer than seq_len is fine (cropped).</param>
    /// <param name="maxNewTokens">Tokens to generate at most, &gt;= 0.</param>
    /// <param name="temperature">Logits are divided by it; 0 picks the argmax (greedy, top-k/top-p unused). &gt;= 0.</param>
    /// <param name="topK">Keep only the k most likely tokens; 0 (or &gt;= V) keeps all.</param>
    /// <param name="topP">Keep the smallest set of most likely tokens whose probability adds up to at least p, in (0, 1]; 1 keeps all.</param>
    /// <param name="seed">Seed of the generator that draws the tokens.</param>
    /// <param name="stopToken">Stop after generating this token (it ends the result); null never stops early.</param>
    /// <returns>The prompt followed by the generated tokens.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> or <paramref name="prompt"/> is null.</exception>
    /// <exception cref="ArgumentException">An argument is out of range; <see cref="ArgumentException.ParamName"/> names it.</exception>
    public static int[] Generate(GptModel model, int[] prompt, int maxNewTokens, double temperature = 1.0, int topK = 0, double topP = 1.0, long seed = 0, int? stopToken = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(prompt);
        int vocab = model.Config.VocabSize;
        if (prompt.Length == 0) throw new ArgumentException("needs at least one token", nameof(prompt));
        if (prompt.Any(t => t < 0 || t >= vocab)) throw new ArgumentException($"token ids must be in [0, {vocab})", nameof(prompt));
        if (maxNewTokens < 0) throw new ArgumentException($"must be >= 0, got {maxNewTokens}", nameof(maxNewTokens));
        if (!(temperature >= 0) || double.IsInfinity(temperature)) throw new ArgumentException($"must be finite and >= 0, got {temperature}", nameof(temperature));
        if (topK < 0) throw new ArgumentException($"must be >= 0 (0: off), got {topK}", nameof(topK));
        if (!(topP > 0 && topP <= 1)) throw new ArgumentException($"must be in (0, 1], got {topP}", nameof(topP));
        if (stopToken is < 0 || stopToken >= vocab) throw new ArgumentException($"must be in [0, {vocab}), got {stopToken}", nameof(stopToken));

        var device = model.parameters().First().device;
        var tokens = new List<int>(prompt);
        var wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = no_grad();
            using var generator = new Generator(0, device).manual_seed(seed);
            for (int i = 0; i < maxNewTokens; i++)
            {
                using var scope = NewDisposeScope();
                int start = Math.Max(0, tokens.Count - model.Config.SeqLen);
                var context = tokens.Skip(start).Select(t => (long)t).ToArray();
                var idx = tensor(context, dtype: ScalarType.Int64, device: device).unsqueeze(0);   // (1, T)
                var logits = model.call(idx)[0, -1].to(ScalarType.Float32);                       // (V)
                int next = temperature == 0 ? (int)logits.argmax().item<long>() : Draw(logits / temperature, topK, topP, generator);
                tokens.Add(next);
                if (next == stopToken) break;
            }
        }
        finally
        {
            model.train(wasTraining);
        }
        return tokens.ToArray();
    }

    /// <summary>One token drawn from softmax(logits) after top-k, then top-p, filtering. logits: (V) float32.</summary>
    private static int Draw(Tensor logits, int topK, double topP, Generator generator)
    {
        long vocab = logits.shape[0];
        if (topK > 0 && topK < vocab)
        {
            var kth = logits.topk(topK).values[-1];                                                // the k-th largest logit
            logits = logits.masked_fill(logits < kth, double.NegativeInfinity);
        }
        if (topP < 1)
        {
            var (sorted, order) = logits.sort(descending: true);                                   // (V), (V)
            var probs = softmax(sorted, -1);
            var before = probs.cumsum(-1) - probs;                                                 // mass of the more likely tokens
            var dropSorted = before >= topP;                                                       // the first token is always kept
            var drop = zeros_like(dropSorted).scatter(0, order, dropSorted);                       // back to token order
            logits = logits.masked_fill(drop, double.NegativeInfinity);
        }
        var p = softmax(logits, -1);
        return (int)multinomial(p, 1, generator: generator).item<long>();
    }
}
