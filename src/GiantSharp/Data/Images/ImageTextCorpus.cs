using GiantSharp.Errors;
using static TorchSharp.torch;

namespace GiantSharp.Data.Images;

/// <summary>
/// An image-text corpus folder written by <see cref="ImageTextPreparer"/>, opened for training and evaluation: its
/// tokenizer, class phrases, and train, val and test splits. Training rows alternate the two tasks of
/// <see cref="ImageTextLayout"/> (captioning, generation), each row a randomly drawn training example.
/// </summary>
public sealed class ImageTextCorpus : ITrainingCorpus
{
    private ImageTextCorpus(string directory, ImageTextMeta meta, ImageTextTokenizer tokenizer, ImageTextSplit train, ImageTextSplit val, ImageTextSplit test)
    {
        Directory = directory;
        Meta = meta;
        Tokenizer = tokenizer;
        Layout = new ImageTextLayout(tokenizer, meta.CaptionTokens);
        Train = train;
        Val = val;
        Test = test;
    }

    /// <summary>Whether <paramref name="dir"/> holds an image-text corpus (its meta file).</summary>
    public static bool IsImageTextCorpus(string dir) => File.Exists(Path.Combine(dir, ImageTextMeta.FileName));

    /// <summary>Opens the corpus in <paramref name="dir"/> and checks its files against the meta.</summary>
    /// <exception cref="DataException">The folder, meta or a split file is missing, malformed, or of the wrong size.</exception>
    public static ImageTextCorpus Open(string dir)
    {
        if (!System.IO.Directory.Exists(dir)) throw new DataException(dir, "corpus folder does not exist; run 'giant prepare' first");
        var metaPath = Path.Combine(dir, ImageTextMeta.FileName);
        var meta = ImageTextMeta.Read(metaPath);
        var tokenizer = ImageTextTokenizer.FromSpec(meta.Tokenizer, metaPath);
        ImageTextSplit Split(ImageSplitMeta s) => ImageTextSplit.Open(Path.Combine(dir, s.File), s.Examples, meta.CaptionTokens, tokenizer.Geometry);
        return new ImageTextCorpus(Path.GetFullPath(dir), meta, tokenizer, Split(meta.Train), Split(meta.Val), Split(meta.Test));
    }

    /// <inheritdoc />
    public string Directory { get; }
    /// <summary>The meta file's contents.</summary>
    public ImageTextMeta Meta { get; }
    /// <summary>The image-text tokenizer.</summary>
    public ImageTextTokenizer Tokenizer { get; }
    ITokenizer ITrainingCorpus.Tokenizer => Tokenizer;
    /// <summary>The sequence layout of both tasks.</summary>
    public ImageTextLayout Layout { get; }
    /// <summary>Class noun phrases in label order.</summary>
    public IReadOnlyList<string> Classes => Meta.Classes;
    /// <summary>The training split.</summary>
    public ImageTextSplit Train { get; }
    /// <summary>The validation split.</summary>
    public ImageTextSplit Val { get; }
    /// <summary>The data set's test split.</summary>
    public ImageTextSplit Test { get; }

    /// <inheritdoc />
    public void EnsureFits(int seqLen, int patchDim)
    {
        if (seqLen < Layout.SeqLen)
            throw new ConfigException("model.seq_len", $"is {seqLen}; the rows of {Directory} need {Layout.SeqLen} (1 + {Layout.Patches} patches + {Layout.CaptionTokens} caption words)");
        if (patchDim != Layout.PatchDim)
            throw new ConfigException("model.patch_dim", $"must be {Layout.PatchDim} ({Tokenizer.Geometry.PatchSize}x{Tokenizer.Geometry.PatchSize} patches) for {Directory}, got {patchDim}");
        if (Train.Count == 0 || Val.Count == 0) throw new DataException(Directory, "has an empty train or val split");
    }

    /// <inheritdoc />
    /// <remarks>Row b is example SplitMix64(seed, index)'s b-th draw; it is a captioning row when (index + b) is even, else a generation row.</remarks>
    public (Tensor X, Tensor Y) TrainBatch(int seqLen, long seed, long index, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var rng = new SplitMix64(SplitMix64.Mix(SplitMix64.Mix((ulong)seed) ^ (ulong)index));
        var rows = new (int Example, bool Caption)[batchSize];
        for (int b = 0; b < batchSize; b++) rows[b] = ((int)rng.NextBelow(Train.Count), (index + b) % 2 == 0);
        return Rows(Train, rows);
    }

    /// <inheritdoc />
    public int ValBatchCount(int sequences, int batchSize) => (sequences + batchSize - 1) / batchSize;

    /// <inheritdoc />
    /// <remarks>Row i of the set is example i * count / sequences of the val split, a captioning row for even i, else a generation row.</remarks>
    public (Tensor X, Tensor Y) ValBatch(int seqLen, int sequences, int batchSize, int index)
    {
        int start = index * batchSize, n = Math.Min(batchSize, sequences - start);
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(index), index, $"outside the {ValBatchCount(sequences, batchSize)} batches");
        var rows = Enumerable.Range(start, n).Select(i => ((int)((long)i * Val.Count / sequences), i % 2 == 0)).ToArray();
        return Rows(Val, rows);
    }

    /// <summary>Training rows for <paramref name="rows"/> of <paramref name="split"/>: X (B, T, 2 + P) and Y (B, T), T = <see cref="ImageTextLayout.SeqLen"/>.</summary>
    public (Tensor X, Tensor Y) Rows(ImageTextSplit split, IReadOnlyList<(int Example, bool Caption)> rows)
    {
        int width = Layout.SeqLen, channels = Layout.Channels;
        var x = new long[rows.Count * width * channels];
        var y = new long[rows.Count * width];
        for (int b = 0; b < rows.Count; b++)
        {
            var (example, caption) = rows[b];
            var xs = x.AsSpan(b * width * channels, width * channels);
            var ys = y.AsSpan(b * width, width);
            if (caption) Layout.CaptionRow(xs, ys, width, split.Patches(example), split.Caption(example));
            else
            {
                var codes = split.Codes(example);
                Layout.GenerationRow(xs, ys, width, split.Caption(example), codes.AsSpan(0, codes.Length - 1), codes);
            }
        }
        return (tensor(x, [rows.Count, width, channels], ScalarType.Int64), tensor(y, [rows.Count, width], ScalarType.Int64));
    }

    /// <summary>Nothing to release: the splits are in managed memory.</summary>
    public void Dispose() { }
}
