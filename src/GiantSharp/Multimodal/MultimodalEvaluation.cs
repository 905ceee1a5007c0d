using System.Diagnostics;
using GiantSharp.Data.Images;
using GiantSharp.Model;
using static TorchSharp.torch;

namespace GiantSharp.Multimodal;

/// <summary>
/// The measures of issue 11 on an image-text model: captioning accuracy (the class a greedy caption names, against the
/// label), and generation judged by the project's classifier (on-prompt share, and the Fréchet distance to real images
/// with the real-vs-real distance as its floor).
/// </summary>
public static class MultimodalEvaluation
{
    /// <summary>Captions the first <paramref name="count"/> images of <paramref name="split"/> (all by default) and scores them.</summary>
    public static CaptionScore Captions(GptModel model, ImageTextCorpus corpus, ImageTextSplit split, int? count = null, int batchSize = 500)
    {
        var watch = Stopwatch.StartNew();
        int n = Math.Min(count ?? split.Count, split.Count);
        var patches = Enumerable.Range(0, n).Select(split.Patches).ToList();
        var words = ImageCaptioner.Caption(model, corpus.Layout, patches, batchSize);
        var texts = words.Select(w => corpus.Tokenizer.Decode(w)).ToArray();
        var right = new int[corpus.Classes.Count];
        var total = new int[corpus.Classes.Count];
        for (int i = 0; i < n; i++)
        {
            int label = split.Label(i);
            total[label]++;
            if (Data.Images.Captions.ClassOf(texts[i], corpus.Classes) == label) right[label]++;
        }
        var perClass = right.Select((r, c) => total[c] == 0 ? double.NaN : r / (double)total[c]).ToArray();
        return new CaptionScore(right.Sum() / (double)Math.Max(1, n), n, perClass, texts, watch.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// Generates <paramref name="perClass"/> images for each class phrase as prompt (e.g. "a sneaker") and judges them: on-
    /// prompt share, and the Fréchet distance of their judge features to <paramref name="perClass"/> real test images per
    /// class (the first of each class), with the floor between those and the next <paramref name="perClass"/> per class.
    /// </summary>
    /// <exception cref="ArgumentException">The test split has fewer than 2 * <paramref name="perClass"/> images of a class.</exception>
    public static GenerationScore Generation(GptModel model, ImageTextCorpus corpus, ImageJudge judge, int perClass = 100, double temperature = 1.0, int topK = 0, double topP = 1.0, long seed = 0)
    {
        var watch = Stopwatch.StartNew();
        var images = new List<byte[]>();
        var onPrompt = new double[corpus.Classes.Count];
        for (int c = 0; c < corpus.Classes.Count; c++)
        {
            var prompt = corpus.Tokenizer.Encode(corpus.Classes[c]);
            var codes = ImageGenerator.Generate(model, corpus.Layout, prompt, perClass, temperature, topK, topP, seed + c);
            var drawn = codes.Select(k => ImageGenerator.Render(corpus.Tokenizer, k)).ToList();
            onPrompt[c] = judge.Predict(drawn).Count(p => p == c) / (double)perClass;
            images.AddRange(drawn);
        }
        var (reference, other) = RealSamples(corpus.Test, corpus.Classes.Count, perClass);
        using var scope = NewDisposeScope();
        var refFeatures = judge.Features(reference);
        double fid = FrechetDistance.Compute(judge.Features(images), refFeatures);
        double floor = FrechetDistance.Compute(judge.Features(other), refFeatures);
        return new GenerationScore(onPrompt.Average(), onPrompt, fid, floor, perClass, images, watch.Elapsed.TotalSeconds);
    }

    /// <summary>Two disjoint class-balanced samples of a split: the first <paramref name="perClass"/> images of each class, and the next ones.</summary>
    public static (List<byte[]> First, List<byte[]> Second) RealSamples(ImageTextSplit split, int classes, int perClass)
    {
        var byClass = Enumerable.Range(0, classes).Select(_ => new List<int>()).ToArray();
        for (int i = 0; i < split.Count; i++) byClass[split.Label(i)].Add(i);
        if (byClass.Any(l => l.Count < 2 * perClass)) throw new ArgumentException($"the split needs {2 * perClass} images of every class for two samples of {perClass}");
        List<byte[]> Take(int skip) => byClass.SelectMany(l => l.Skip(skip).Take(perClass)).Select(i => split.Pixels(i).ToArray()).ToList();
        return (Take(0), Take(perClass));
    }
}
