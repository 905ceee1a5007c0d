using System.Text.Json;
using GiantSharp.Data;
using GiantSharp.Data.Images;
using GiantSharp.Errors;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace GiantSharp.Multimodal;

/// <summary>
/// The project's own judge of images: an <see cref="ImageClassifier"/> trained on a corpus's training split (Adam, cross-
/// entropy, batches of 128 in a seeded order, learning rate 3e-3 on a cosine to 0 over all steps), its accuracy measured
/// on the test split. It labels generated images (on-
/// prompt rate) and gives the features of the Fréchet distance. Saved as <c>judge.safetensors</c> + <c>judge.json</c>.
/// </summary>
public sealed class ImageJudge : IDisposable
{
    private const string WeightsFile = "judge.safetensors", InfoFile = "judge.json";
    private static readonly JsonSerializerOptions _json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    private ImageJudge(ImageClassifier classifier, ImagePatches geometry, JudgeInfo info)
    {
        Classifier = classifier;
        Geometry = geometry;
        Info = info;
        Classifier.eval();
    }

    /// <summary>The classifier, in eval mode.</summary>
    public ImageClassifier Classifier { get; }
    /// <summary>The image size it reads.</summary>
    public ImagePatches Geometry { get; }
    /// <summary>How it was trained and how well it does.</summary>
    public JudgeInfo Info { get; }

    /// <summary>
    /// Trains a judge on <paramref name="train"/> for <paramref name="epochs"/> epochs and measures it on <paramref name="test"/>.
    /// Draws its initial weights from the global generator after seeding it with <paramref name="seed"/>.
    /// </summary>
    public static ImageJudge Train(ImageTextSplit train, ImageTextSplit test, int classes, string corpusIdentity, int epochs = 6, int seed = 1234, Action<string>? log = null)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        manual_seed(seed);
        var classifier = new ImageClassifier(train.Geometry.Height, train.Geometry.Width, classes);
        const double lr = 3e-3;
        const int batch = 128;
        using (var optimizer = optim.Adam(classifier.parameters(), lr: lr))
        {
            int steps = epochs * ((train.Count + batch - 1) / batch), step = 0;
            var rng = new SplitMix64(SplitMix64.Mix((ulong)(long)seed));
            var labels = Enumerable.Range(0, train.Count).Select(train.Label).ToArray();
            for (int epoch = 0; epoch < epochs; epoch++)
            {
                var order = Permutation(train.Count, ref rng);
                double lossSum = 0;
                int batches = 0;
                for (int start = 0; start < order.Length; start += batch)
                {
                    using var scope = NewDisposeScope();
                    foreach (var group in optimizer.ParamGroups) group.LearningRate = lr * 0.5 * (1 + Math.Cos(Math.PI * step / steps));
                    step++;
                    var rows = order.AsSpan(start, Math.Min(batch, order.Length - start)).ToArray();
                    var x = Images(rows.Select(i => train.Pixels(i).ToArray()).ToList(), train.Geometry);
                    var y = tensor(rows.Select(i => (long)labels[i]).ToArray());
                    optimizer.zero_grad();
                    var loss = nn.functional.cross_entropy(classifier.call(x), y);
                    loss.backward();
                    optimizer.step();
                    lossSum += loss.item<float>();
                    batches++;
                }
                log?.Invoke($"judge: epoch {epoch + 1}/{epochs}, train loss {lossSum / batches:F4}");
            }
        }
        classifier.eval();
        var testImages = Enumerable.Range(0, test.Count).Select(i => test.Pixels(i).ToArray()).ToList();
        var predicted = Predict(classifier, testImages, test.Geometry);
        double accuracy = Enumerable.Range(0, test.Count).Count(i => predicted[i] == test.Label(i)) / (double)test.Count;
        var info = new JudgeInfo(corpusIdentity, classes, epochs, seed, train.Count, test.Count, accuracy, watch.Elapsed.TotalSeconds, JudgeInfo.CurrentRecipe);
        log?.Invoke($"judge: test accuracy {accuracy:F4} on {test.Count:N0} images ({watch.Elapsed.TotalSeconds:F0} s)");
        return new ImageJudge(classifier, train.Geometry, info);
    }

    /// <summary>The judge saved in <paramref name="dir"/> for the corpus <paramref name="corpusIdentity"/>, or null when none is there, or it is another corpus's or another recipe's.</summary>
    /// <exception cref="DataException">The files are there but unreadable.</exception>
    public static ImageJudge? TryLoad(string dir, string corpusIdentity, ImagePatches geometry)
    {
        var infoPath = Path.Combine(dir, InfoFile);
        if (!File.Exists(infoPath) || !File.Exists(Path.Combine(dir, WeightsFile))) return null;
        JudgeInfo? info;
        try { info = JsonSerializer.Deserialize<JudgeInfo>(File.ReadAllText(infoPath), _json); }
        catch (JsonException e) { throw new DataException(infoPath, $"unreadable: {Config.JsonErrorText.Describe(e, null)}"); }
        if (info is null || info.CorpusIdentity != corpusIdentity || info.Recipe != JudgeInfo.CurrentRecipe) return null;
        var classifier = new ImageClassifier(geometry.Height, geometry.Width, info.Classes);
        try { classifier.load_safetensors(Path.Combine(dir, WeightsFile)); }
        catch (Exception e) { classifier.Dispose(); throw new DataException(Path.Combine(dir, WeightsFile), $"unreadable judge weights: {e.Message}"); }
        return new ImageJudge(classifier, geometry, info);
    }

    /// <summary>Writes the judge into <paramref name="dir"/> (weights, then its info).</summary>
    public void Save(string dir)
    {
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, $".{WeightsFile}.{Guid.NewGuid():N}");
        Classifier.save_safetensors(temp);
        File.Move(temp, Path.Combine(dir, WeightsFile), overwrite: true);
        AtomicFile.WriteAllText(Path.Combine(dir, InfoFile), JsonSerializer.Serialize(Info, _json));
    }

    /// <summary>The predicted class of each image (H * W bytes each).</summary>
    public int[] Predict(IReadOnlyList<byte[]> images) => Predict(Classifier, images, Geometry);

    /// <summary>The 128 features of each image, (count, 128) float32 on the CPU.</summary>
    public Tensor Features(IReadOnlyList<byte[]> images)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var parts = new List<Tensor>();
        for (int start = 0; start < images.Count; start += 1000)
            parts.Add(Classifier.Features(Images(images.Skip(start).Take(1000).ToList(), Geometry)));
        return cat(parts).MoveToOuterDisposeScope();
    }

    /// <summary>Images (H * W bytes each) as a (B, 1, H, W) float tensor in [0, 1].</summary>
    public static Tensor Images(IReadOnlyList<byte[]> images, ImagePatches geometry)
    {
        var all = new byte[images.Count * geometry.ImageBytes];
        for (int i = 0; i < images.Count; i++) images[i].CopyTo(all, i * geometry.ImageBytes);
        return tensor(all, [images.Count, 1, geometry.Height, geometry.Width], ScalarType.Byte).to(ScalarType.Float32) / 255.0;
    }

    private static int[] Predict(ImageClassifier classifier, IReadOnlyList<byte[]> images, ImagePatches geometry)
    {
        using var _ = no_grad();
        var result = new int[images.Count];
        for (int start = 0; start < images.Count; start += 1000)
        {
            using var scope = NewDisposeScope();
            var batch = images.Skip(start).Take(1000).ToList();
            classifier.call(Images(batch, geometry)).argmax(1).to(ScalarType.Int32).data<int>().CopyTo(result.AsSpan(start, batch.Count));
        }
        return result;
    }

    private static int[] Permutation(int n, ref SplitMix64 rng)
    {
        var order = Enumerable.Range(0, n).ToArray();
        for (int i = n - 1; i > 0; i--)
        {
            int j = (int)rng.NextBelow(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <inheritdoc />
    public void Dispose() => Classifier.Dispose();
}
