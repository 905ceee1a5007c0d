using GiantSharp.Config;
using GiantSharp.Errors;

namespace GiantSharp.Data.Images;

/// <summary>
/// An idx image data set (e.g. Fashion-MNIST) to an image-text corpus folder: the training images are split into
/// train and val by a seeded shuffle (the data set's test images stay the test split), a patch codebook is learned by
/// k-means on the train split, every image is encoded to codes, every example gets a caption from its label in a
/// phrasing drawn from (seed, split, index), and <c>train.bin</c>, <c>val.bin</c>, <c>test.bin</c> and
/// <c>image-text.json</c> are written (the meta last, so a half-prepared folder never reads as prepared).
/// </summary>
public static class ImageTextPreparer
{
    /// <summary>The record file of each split.</summary>
    public const string TrainFileName = "train.bin", ValFileName = "val.bin", TestFileName = "test.bin";

    /// <summary>Prepares <paramref name="outDir"/> from the idx folder <paramref name="source"/>.</summary>
    /// <param name="source">An idx folder (<see cref="IdxDataset"/>).</param>
    /// <param name="outDir">The corpus folder; created if needed, its files replaced.</param>
    /// <param name="images">Patch size, codes and class phrases.</param>
    /// <param name="valFraction">Share of the training images for validation, in (0, 1).</param>
    /// <param name="seed">Seed of the split, the phrasings and the codebook's sampling.</param>
    /// <param name="log">Receives a line per phase.</param>
    /// <returns>The meta written.</returns>
    /// <exception cref="ConfigException">A <c>data.images</c> key or <c>val_fraction</c> is out of range.</exception>
    /// <exception cref="DataException">The idx files are missing, unreadable or mismatched, or a label has no class phrase.</exception>
    public static ImageTextMeta Prepare(string source, string outDir, ImageDataConfig images, double valFraction = 0.1, int seed = 1234, Action<string>? log = null)
    {
        images.Validate();
        if (!(valFraction > 0 && valFraction < 1)) throw new ConfigException("val_fraction", $"must be > 0 and < 1, got {valFraction}");
        if (File.Exists(outDir)) throw new DataException(outDir, "is a file; --out must be a folder");
        var classes = Captions.Classes(images.Classes);
        var (train, test) = IdxDataset.Read(source);
        foreach (var set in new[] { train, test })
            if (set.Labels.Max() is var top && top >= classes.Count)
                throw new DataException(source, $"has label {top} but only {classes.Count} class phrases are given (data.images.classes)");
        var geometry = new ImagePatches(train.Height, train.Width, images.PatchSize).Validate();
        var (trainIdx, valIdx) = CorpusSplit.ByCount(train.Count, valFraction, seed);

        log?.Invoke($"image tokenizer: k-means of {images.Codes} codes on {Math.Min(images.CodebookSamples, trainIdx.Length * geometry.Count):N0} {images.PatchSize}x{images.PatchSize} patches of {trainIdx.Length:N0} training images");
        var trainPixels = Gather(train, trainIdx);
        var trainPatches = geometry.CutAll(trainPixels);
        var codebook = PatchCodebook.Train(trainPatches, geometry.PatchDim, images.Codes, seed, images.CodebookSamples);
        var rmse = codebook.Rmse(trainPatches);
        log?.Invoke($"image tokenizer: round-trip RMSE {rmse:F2} per pixel (0..255) on the training images");

        var phrasings = classes.SelectMany(c => Captions.Templates.Select((_, t) => Captions.Write(c, t))).ToList();
        var tokenizer = ImageTextTokenizer.Build(phrasings, codebook, geometry);
        int captionTokens = phrasings.Max(p => tokenizer.Encode(p).Length);

        string dir = Path.GetFullPath(outDir);
        Directory.CreateDirectory(dir);
        string metaPath = Path.Combine(dir, ImageTextMeta.FileName);
        File.Delete(metaPath);
        var splits = new (string File, LabeledImages Set, int[] Indices)[]
        {
            (TrainFileName, train, trainIdx), (ValFileName, train, valIdx), (TestFileName, test, Enumerable.Range(0, test.Count).ToArray()),
        };
        for (int s = 0; s < splits.Length; s++)
        {
            var (file, set, indices) = splits[s];
            log?.Invoke($"writing {file}: {indices.Length:N0} images with codes and captions");
            var pixels = Gather(set, indices);
            var codes = codebook.Encode(geometry.CutAll(pixels));
            var records = indices.Select((index, i) => (
                Label: (int)set.Labels[index],
                Caption: tokenizer.Encode(Captions.Write(classes[set.Labels[index]], Captions.Template(seed, s, i))),
                Codes: codes[(i * geometry.Count)..((i + 1) * geometry.Count)],
                Pixels: pixels[(i * geometry.ImageBytes)..((i + 1) * geometry.ImageBytes)])).ToList();
            ImageTextSplit.Write(Path.Combine(dir, file), captionTokens, geometry, records);
        }
        var meta = new ImageTextMeta
        {
            Tokenizer = tokenizer.ToSpec(),
            Classes = classes,
            CaptionTokens = captionTokens,
            Train = new ImageSplitMeta(TrainFileName, trainIdx.Length),
            Val = new ImageSplitMeta(ValFileName, valIdx.Length),
            Test = new ImageSplitMeta(TestFileName, test.Count),
            Sources = [Path.GetFullPath(source)],
            ValFraction = valFraction,
            Seed = seed,
            CodebookRmse = rmse,
            CreatedUtc = DateTime.UtcNow,
        };
        AtomicFile.WriteAllText(metaPath, meta.ToJson());
        return meta;
    }

    private static byte[] Gather(LabeledImages set, int[] indices)
    {
        var pixels = new byte[indices.Length * set.ImageBytes];
        for (int i = 0; i < indices.Length; i++) set.Image(indices[i]).CopyTo(pixels.AsSpan(i * set.ImageBytes));
        return pixels;
    }
}
