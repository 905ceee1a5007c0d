using GiantSharp.Data.Images;
using GiantSharp.Inference;
using GiantSharp.Model;
using static TorchSharp.torch;

namespace GiantSharp.Multimodal;

/// <summary>
/// Text -> image with an image-text model: the caption and <c>&lt;image&gt;</c> are the bidirectional prefix, then the N
/// image codes are sampled one by one with a key/value cache, restricted to the image codes, and the codebook turns them
/// back into pixels. Sampling as <see cref="Inference.Sampler"/> does for text: logits / temperature, top-k, then
/// nucleus (top-p), softmax, a draw from a seeded generator (temperature 0: argmax). Source: M6 (Lin et al. 2021),
/// text-to-image generation with discrete codes, sec. 5; Holtzman et al. 2020, sec. 3.1 (nucleus).
/// </summary>
public static class ImageGenerator
{
    /// <summary>
    /// <paramref name="count"/> images for the caption <paramref name="promptWords"/> (word ids): each one's N codes
    /// (0..K-1). The same arguments give the same images.
    /// </summary>
    /// <param name="model">An image-text model; run in eval mode, its mode restored after.</param>
    /// <param name="layout">The corpus's layout.</param>
    /// <param name="promptWords">The caption's word ids (at most the longest caption).</param>
    /// <param name="count">Images to make.</param>
    /// <param name="temperature">Logits are divided by it; 0 takes the most likely code. &gt;= 0.</param>
    /// <param name="topK">Draw among the k most likely codes; 0: all.</param>
    /// <param name="topP">Draw among the smallest set of most likely codes with this much probability, in (0, 1]; 1: all.</param>
    /// <param name="seed">Seed of the draws.</param>
    /// <param name="batchSize">Images per forward pass.</param>
    /// <exception cref="ArgumentException">The prompt is longer than the longest caption, or an argument is out of range.</exception>
    public static int[][] Generate(GptModel model, ImageTextLayout layout, int[] promptWords, int count, double temperature = 1.0, int topK = 0, double topP = 1.0, long seed = 0, int batchSize = 250)
    {
        if (promptWords.Length > layout.CaptionTokens) throw new ArgumentException($"a prompt of {promptWords.Length} words is longer than the longest caption ({layout.CaptionTokens})", nameof(promptWords));
        if (!(temperature >= 0) || double.IsInfinity(temperature)) throw new ArgumentException($"must be finite and >= 0, got {temperature}", nameof(temperature));
        ArgumentOutOfRangeException.ThrowIfNegative(topK);
        if (!(topP > 0 && topP <= 1)) throw new ArgumentException($"must be in (0, 1], got {topP}", nameof(topP));
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var device = model.parameters().First().device;
        int first = layout.Tokenizer.FirstCodeId, codes = layout.Tokenizer.Codebook.Codes;
        var results = new int[count][];
        var wasTraining = model.training;
        model.eval();
        try
        {
            using var decoder = new KvCacheDecoder(model);
            using var generator = new Generator(0, device).manual_seed(seed);
            for (int start = 0; start < count; start += batchSize)
            {
                using var scope = NewDisposeScope();
                int n = Math.Min(batchSize, count - start), width = promptWords.Length + 1;
                var row = new long[width * layout.Channels];
                layout.GenerationRow(row, [], width, promptWords, []);
                var prompt = tensor(row, [1, width, layout.Channels], ScalarType.Int64).expand(n, width, layout.Channels).contiguous().to(device);
                var logits = decoder.Prefill(prompt);                                                // (B, V)
                var drawn = new List<Tensor>();
                for (int g = 0; g < layout.Patches; g++)
                {
                    var code = Draw(logits[.., first..(first + codes)], temperature, topK, topP, generator);  // (B) in 0..K-1
                    drawn.Add(code);
                    if (g < layout.Patches - 1) logits = decoder.Step(code + first);
                }
                var all = stack(drawn, 1).cpu().to(ScalarType.Int32).data<int>().ToArray();           // (B, N)
                for (int b = 0; b < n; b++) results[start + b] = all[(b * layout.Patches)..((b + 1) * layout.Patches)];
            }
        }
        finally
        {
            model.train(wasTraining);
        }
        return results;
    }

    /// <summary>The pixels (H * W) of an image given by its codes.</summary>
    public static byte[] Render(ImageTextTokenizer tokenizer, int[] codes)
    {
        var image = new byte[tokenizer.Geometry.ImageBytes];
        tokenizer.Geometry.Join(tokenizer.Codebook.Decode(codes), image);
        return image;
    }

    private static Tensor Draw(Tensor logits, double temperature, int topK, double topP, Generator generator)
    {
        if (temperature == 0) return logits.argmax(1);
        logits = logits / temperature;                                                               // (B, K)
        if (topK > 0 && topK < logits.shape[1])
        {
            var kth = logits.topk(topK, dim: 1).values[.., ^1..];                                    // (B, 1)
            logits = logits.masked_fill(logits < kth, double.NegativeInfinity);
        }
        if (topP < 1)
        {
            var (sorted, order) = logits.sort(1, descending: true);                                 // (B, K)
            var probs = softmax(sorted, 1);
            var dropSorted = probs.cumsum(1) - probs >= topP;                                        // the most likely code is always kept
            logits = logits.masked_fill(zeros_like(dropSorted).scatter(1, order, dropSorted), double.NegativeInfinity);
        }
        return multinomial(softmax(logits, 1), 1, generator: generator).squeeze(1);
    }
}
