using System.Buffers.Binary;
using System.IO.Compression;
using GiantSharp.Config;
using GiantSharp.Data.Images;
using GiantSharp.Model;
using GiantSharp.Sharing;

namespace GiantSharp.Tests.Multimodal;

/// <summary>
/// A tiny idx image data set in a temp folder: 8x8 images of 4 classes, class k a bright quadrant k (fixed pixels, so a
/// class's images share their codes), labelled with Fashion-MNIST's first four class names; and tiny runs over its
/// image-text corpus. Deleted on dispose.
/// </summary>
internal sealed class SyntheticImages : IDisposable
{
    public const int Size = 8, Classes = 4;

    public SyntheticImages(int train = 10, int test = 8, bool gzip = true)
    {
        Root = Path.Combine(Path.GetTempPath(), "giantsharp-tests", Guid.NewGuid().ToString("N"));
        IdxDir = Path.Combine(Root, "idx");
        Directory.CreateDirectory(IdxDir);
        foreach (var (split, count) in new[] { ("train", train), ("t10k", test) })
        {
            var labels = Enumerable.Range(0, count).Select(i => (byte)(i % Classes)).ToArray();
            WriteIdx(Path.Combine(IdxDir, $"{split}-images-idx3-ubyte" + (gzip ? ".gz" : "")), [count, Size, Size], labels.SelectMany(l => Image(l)).ToArray(), gzip);
            WriteIdx(Path.Combine(IdxDir, $"{split}-labels-idx1-ubyte" + (gzip ? ".gz" : "")), [count], labels, gzip);
        }
        CorpusDir = Path.Combine(Root, "corpus");
    }

    public string Root { get; }
    public string IdxDir { get; }
    public string CorpusDir { get; }

    /// <summary>Class <paramref name="label"/>'s image: quadrant <paramref name="label"/> at 200..230, the rest at 10..20.</summary>
    public static byte[] Image(int label)
    {
        var pixels = new byte[Size * Size];
        for (int y = 0; y < Size; y++)
            for (int x = 0; x < Size; x++)
            {
                bool lit = (y / 4) * 2 + x / 4 == label;
                pixels[y * Size + x] = (byte)(lit ? 200 + (x * 3 + y) % 31 : 10 + (x + y) % 11);
            }
        return pixels;
    }

    /// <summary>An idx file of unsigned bytes with <paramref name="shape"/> (big-endian dimensions), optionally gzip-compressed.</summary>
    public static void WriteIdx(string path, int[] shape, byte[] values, bool gzip = false)
    {
        var bytes = new byte[4 + 4 * shape.Length + values.Length];
        bytes[2] = IdxFile.UnsignedByte;
        bytes[3] = (byte)shape.Length;
        for (int d = 0; d < shape.Length; d++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * d), shape[d]);
        values.CopyTo(bytes, 4 + 4 * shape.Length);
        if (!gzip) { File.WriteAllBytes(path, bytes); return; }
        using var file = File.Create(path);
        using var z = new GZipStream(file, CompressionLevel.Fastest);
        z.Write(bytes);
    }

    /// <summary>Prepares the image-text corpus (4x4 patches, <paramref name="codes"/> codes) and opens it.</summary>
    public ImageTextCorpus Prepare(int codes = 8)
    {
        if (!ImageTextCorpus.IsImageTextCorpus(CorpusDir))
            ImageTextPreparer.Prepare(IdxDir, CorpusDir, Images(codes), valFraction: 0.2, seed: 1234);
        return ImageTextCorpus.Open(CorpusDir);
    }

    public static ImageDataConfig Images(int codes = 8) => new() { PatchSize = 4, Codes = codes, CodebookSamples = 1000 };

    /// <summary>A Pseudo-to-Real run of a 2-layer image-text model over the corpus: <paramref name="pseudoSteps"/> shared, then <paramref name="realSteps"/> delinked.</summary>
    public RunConfig Run(int pseudoSteps, int realSteps, string name = "mm", double lr = 1e-2) => new RunConfig
    {
        Name = name,
        OutDir = Path.Combine(Root, "runs", name),
        Model = new ModelConfig { NLayer = 2, NHead = 2, DModel = 32, DFf = 64, SeqLen = 16, PatchDim = 16 },
        Data = new DataConfig { Dir = CorpusDir, Sources = [IdxDir], ValFraction = 0.2, Images = Images() },
        Schedule = new ScheduleConfig { Lr = lr, WarmupSteps = 5 },
        Optimizer = new OptimizerConfig { GradClip = 1.0, WeightDecay = 0.0 },
        Stages = [
            new StageConfig { Name = "pseudo", Sharing = SharingPlan.All, Steps = pseudoSteps, MicroBatch = 4, GlobalBatch = 8 },
            new StageConfig { Name = "real", Sharing = SharingPlan.None, Steps = realSteps, MicroBatch = 4, GlobalBatch = 8 },
        ],
        Eval = new EvalConfig { Every = 0, Sequences = 8 },
        Checkpoint = new CheckpointConfig { Every = 0, Keep = 2 },
    }.Validate();

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
