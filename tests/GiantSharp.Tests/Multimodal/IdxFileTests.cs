using GiantSharp.Data.Images;
using GiantSharp.Errors;

namespace GiantSharp.Tests.Multimodal;

/// <summary>The idx reader on Debian's Fashion-MNIST and on hand-made good, truncated and mismatched files.</summary>
public class IdxFileTests
{
    private const string FashionMnist = "/usr/share/datasets/fashion-mnist";

    [Fact]
    public void Reads_the_fashion_mnist_test_split_debian_installs()
    {
        Assert.True(File.Exists(Path.Combine(FashionMnist, "t10k-labels-idx1-ubyte.gz")), "dataset-fashion-mnist is not installed (bash scripts/setup.sh installs it)");
        var test = LabeledImages.Read(Path.Combine(FashionMnist, "t10k-images-idx3-ubyte.gz"), Path.Combine(FashionMnist, "t10k-labels-idx1-ubyte.gz"));
        Assert.Equal((10_000, 28, 28), (test.Count, test.Height, test.Width));
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(1000, test.Labels.Count(l => l == c)));   // the test split is balanced
        Assert.Equal(9, test.Labels[0]);                                                                 // the first test image is an ankle boot
        Assert.Equal(0, test.Image(0)[0]);                                                               // on a black background
        Assert.InRange(test.Pixels.Average(p => (double)p), 60, 90);                                     // Fashion-MNIST's mean pixel is about 73
        Assert.True(IdxDataset.IsIdxFolder(FashionMnist));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Reads_shape_and_values_plain_or_gzip(bool gzip)
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "x-idx3-ubyte");
        var values = Enumerable.Range(0, 2 * 3 * 4).Select(i => (byte)(i * 7)).ToArray();
        SyntheticImages.WriteIdx(path, [2, 3, 4], values, gzip);
        var (shape, read) = IdxFile.Read(path);
        Assert.Equal([2, 3, 4], shape);
        Assert.Equal(values, read);
    }

    [Fact]
    public void Truncated_files_are_refused_naming_the_file()
    {
        using var dir = new TempDir();
        var plain = Path.Combine(dir.Path, "images-idx3-ubyte");
        SyntheticImages.WriteIdx(plain, [10, 4, 4], new byte[160]);
        File.WriteAllBytes(plain, File.ReadAllBytes(plain)[..100]);
        var e = Assert.Throws<DataException>(() => IdxFile.Read(plain));
        Assert.Contains(plain, e.Message);
        Assert.Contains("truncated", e.Message);
        Assert.Contains("160", e.Message);

        var gz = Path.Combine(dir.Path, "images-idx3-ubyte.gz");
        SyntheticImages.WriteIdx(gz, [10, 4, 4], Enumerable.Range(0, 160).Select(i => (byte)i).ToArray(), gzip: true);
        File.WriteAllBytes(gz, File.ReadAllBytes(gz)[..40]);
        e = Assert.Throws<DataException>(() => IdxFile.Read(gz));
        Assert.Contains("truncated", e.Message);

        File.WriteAllBytes(plain, [0, 0, 8]);
        Assert.Contains("not an idx file", Assert.Throws<DataException>(() => IdxFile.Read(plain)).Message);
    }

    [Fact]
    public void Other_types_extra_bytes_and_bad_headers_are_refused()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "x-idx1-ubyte");
        File.WriteAllBytes(path, [0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0]);                // float32 values
        Assert.Contains("0x0D", Assert.Throws<DataException>(() => IdxFile.Read(path)).Message);
        File.WriteAllBytes(path, [0, 0, 8, 1, 0, 0, 0, 2, 5, 6, 7]);                        // one byte more than 2
        Assert.Contains("1 bytes after", Assert.Throws<DataException>(() => IdxFile.Read(path)).Message);
        File.WriteAllBytes(path, [1, 2, 8, 1, 0, 0, 0, 1, 5]);
        Assert.Contains("not an idx file", Assert.Throws<DataException>(() => IdxFile.Read(path)).Message);
        Assert.Contains("not found", Assert.Throws<DataException>(() => IdxFile.Read(Path.Combine(dir.Path, "missing"))).Message);
    }

    [Fact]
    public void Mismatched_image_and_label_files_are_refused_naming_both()
    {
        using var dir = new TempDir();
        var images = Path.Combine(dir.Path, "train-images-idx3-ubyte");
        var labels = Path.Combine(dir.Path, "train-labels-idx1-ubyte");
        SyntheticImages.WriteIdx(images, [5, 4, 4], new byte[80]);
        SyntheticImages.WriteIdx(labels, [4], new byte[4]);
        var e = Assert.Throws<DataException>(() => LabeledImages.Read(images, labels));
        Assert.Contains(labels, e.Message);
        Assert.Contains("train-images-idx3-ubyte", e.Message);
        Assert.Contains("4 labels", e.Message);

        SyntheticImages.WriteIdx(labels, [5, 1], new byte[5]);                              // labels must be 1-dimensional
        Assert.Contains("1-dimensional", Assert.Throws<DataException>(() => LabeledImages.Read(images, labels)).Message);
        SyntheticImages.WriteIdx(labels, [5], new byte[5]);
        Assert.Contains("t10k-images", Assert.Throws<DataException>(() => IdxDataset.Read(dir.Path)).Message);   // a good train pair, no test split
    }
}
