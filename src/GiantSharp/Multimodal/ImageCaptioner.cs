using GiantSharp.Data.Images;
using GiantSharp.Inference;
using GiantSharp.Model;
using static TorchSharp.torch;

namespace GiantSharp.Multimodal;

/// <summary>
/// Image -> text with an image-text model: each image is the bidirectional prefix <c>&lt;image&gt;</c> + its continuous
/// patches (<see cref="ImageTextLayout"/>), and the caption is decoded greedily with a key/value cache, restricted to the
/// text vocabulary (caption words and <c>&lt;eot&gt;</c>; image codes and specials are not text), until <c>&lt;eot&gt;</c> or
/// the longest caption. Source: M6 (Lin et al. 2021), image captioning, sec. 5.
/// </summary>
public static class ImageCaptioner
{
    /// <summary>The caption word ids of each image of <paramref name="patches"/> (each N * P bytes), without <c>&lt;eot&gt;</c>.</summary>
    /// <param name="model">An image-text model (patch_dim P); run in eval mode, its mode restored after.</param>
    /// <param name="layout">The corpus's layout (vocabulary, N, longest caption).</param>
    /// <param name="patches">The images' patches.</param>
    /// <param name="batchSize">Images per forward pass.</param>
    public static int[][] Caption(GptModel model, ImageTextLayout layout, IReadOnlyList<byte[]> patches, int batchSize = 500)
    {
        var results = new int[patches.Count][];
        var device = model.parameters().First().device;
        var eot = layout.Tokenizer.EndOfTextId;
        var wasTraining = model.training;
        model.eval();
        try
        {
            using var decoder = new KvCacheDecoder(model);
            for (int start = 0; start < patches.Count; start += batchSize)
            {
                using var scope = NewDisposeScope();
                int n = Math.Min(batchSize, patches.Count - start), width = layout.CaptionPrefix;
                var x = new long[n * width * layout.Channels];
                for (int b = 0; b < n; b++)
                    layout.CaptionRow(x.AsSpan(b * width * layout.Channels, width * layout.Channels), [], width, patches[start + b], []);
                var logits = decoder.Prefill(tensor(x, [n, width, layout.Channels], ScalarType.Int64).to(device));   // (B, V)
                var words = Enumerable.Range(0, n).Select(_ => new List<int>()).ToArray();
                var done = new bool[n];
                for (int j = 0; j < layout.CaptionTokens; j++)
                {
                    var next = logits[.., ..(eot + 1)].argmax(1);                                                     // (B): a word or <eot>
                    var ids = next.cpu().data<long>().ToArray();
                    for (int b = 0; b < n; b++)
                    {
                        if (done[b]) continue;
                        if (ids[b] == eot) done[b] = true;
                        else words[b].Add((int)ids[b]);
                    }
                    if (done.All(d => d) || j == layout.CaptionTokens - 1) break;
                    logits = decoder.Step(next);
                }
                for (int b = 0; b < n; b++) results[start + b] = words[b].ToArray();
            }
        }
        finally
        {
            model.train(wasTraining);
        }
        return results;
    }
}
