using System.Diagnostics;
using GiantSharp.Data.Images;

namespace GiantSharp.Multimodal;

/// <summary>
/// How much of an image survives an image tokenizer, for choosing one: for a patch size and a number of codes, a
/// codebook is learned on the training images (as <see cref="ImageTextPreparer"/> does), the test images are encoded and
/// decoded, and the round trip is scored by its RMSE per pixel and by the judge's accuracy on the decoded images (how
/// recognisable the clothes stay), beside the tokens per image that set a model's sequence length and cost.
/// </summary>
public static class ImageTokenizerStudy
{
    /// <summary>One tokenizer's figures.</summary>
    /// <param name="PatchSize">Side of a patch, in pixels (1: a palette of gray levels, as Image GPT's colour palette).</param>
    /// <param name="Codes">Codebook size K.</param>
    /// <param name="TokensPerImage">Codes per image, N.</param>
    /// <param name="Rmse">Round-trip RMSE per pixel (0..255) on the test images.</param>
    /// <param name="JudgeAccuracy">The judge's accuracy on the decoded test images.</param>
    /// <param name="TrainSeconds">Wall time of learning the codebook.</param>
    public sealed record Row(int PatchSize, int Codes, int TokensPerImage, double Rmse, double JudgeAccuracy, double TrainSeconds);

    /// <summary>Measures each (patch size, codes) of <paramref name="candidates"/> on the corpus's train and test images.</summary>
    public static List<Row> Run(ImageTextCorpus corpus, ImageJudge judge, IEnumerable<(int PatchSize, int Codes)> candidates, int seed = 1234, int samples = 100_000, Action<string>? log = null)
    {
        var g = corpus.Tokenizer.Geometry;
        var trainPixels = Concat(corpus.Train);
        var testPixels = Concat(corpus.Test);
        var labels = Enumerable.Range(0, corpus.Test.Count).Select(corpus.Test.Label).ToArray();
        var rows = new List<Row>();
        foreach (var (size, codes) in candidates)
        {
            var geometry = new ImagePatches(g.Height, g.Width, size).Validate();
            var watch = Stopwatch.StartNew();
            var codebook = PatchCodebook.Train(geometry.CutAll(trainPixels), geometry.PatchDim, codes, seed, samples);
            double seconds = watch.Elapsed.TotalSeconds;
            var testPatches = geometry.CutAll(testPixels);
            var back = codebook.Decode(codebook.Encode(testPatches));
            var images = new List<byte[]>(corpus.Test.Count);
            for (int i = 0; i < corpus.Test.Count; i++)
            {
                var image = new byte[g.ImageBytes];
                geometry.Join(back.AsSpan(i * g.ImageBytes, g.ImageBytes), image);
                images.Add(image);
            }
            var predicted = judge.Predict(images);
            var row = new Row(size, codes, geometry.Count, codebook.Rmse(testPatches), predicted.Where((p, i) => p == labels[i]).Count() / (double)labels.Length, seconds);
            log?.Invoke($"{size}x{size} patches, {codes} codes: {row.TokensPerImage} tokens, RMSE {row.Rmse:F2}, judge accuracy {row.JudgeAccuracy:F4} ({seconds:F0} s)");
            rows.Add(row);
        }
        return rows;
    }

    private static byte[] Concat(ImageTextSplit split)
    {
        int bytes = split.Geometry.ImageBytes;
        var all = new byte[split.Count * bytes];
        for (int i = 0; i < split.Count; i++) split.Pixels(i).CopyTo(all.AsSpan(i * bytes));
        return all;
    }
}
