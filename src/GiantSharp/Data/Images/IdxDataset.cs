using GiantSharp.Errors;

namespace GiantSharp.Data.Images;

/// <summary>
/// A folder in the layout of MNIST and Fashion-MNIST (as Debian's <c>dataset-fashion-mnist</c> installs it in
/// <c>/usr/share/datasets/fashion-mnist</c>): <c>train-images-idx3-ubyte</c>, <c>train-labels-idx1-ubyte</c>,
/// <c>t10k-images-idx3-ubyte</c>, <c>t10k-labels-idx1-ubyte</c>, each plain or with <c>.gz</c>.
/// </summary>
public static class IdxDataset
{
    /// <summary>Whether <paramref name="folder"/> holds a training pair in this layout.</summary>
    public static bool IsIdxFolder(string folder) =>
        Directory.Exists(folder) && Find(folder, "train", "images", "idx3") is not null;

    /// <summary>Reads the training (<c>train</c>) and test (<c>t10k</c>) pairs of <paramref name="folder"/>.</summary>
    /// <exception cref="DataException">A file is missing or unreadable, or the splits' image sizes differ.</exception>
    public static (LabeledImages Train, LabeledImages Test) Read(string folder)
    {
        var train = ReadPair(folder, "train");
        var test = ReadPair(folder, "t10k");
        if (train.Height != test.Height || train.Width != test.Width)
            throw new DataException(folder, $"train images are {train.Height} x {train.Width} but test images {test.Height} x {test.Width}");
        return (train, test);
    }

    private static LabeledImages ReadPair(string folder, string split)
    {
        var images = Find(folder, split, "images", "idx3") ?? throw Missing(folder, split, "images", "idx3");
        var labels = Find(folder, split, "labels", "idx1") ?? throw Missing(folder, split, "labels", "idx1");
        return LabeledImages.Read(images, labels);
    }

    private static string? Find(string folder, string split, string what, string idx)
    {
        var name = Path.Combine(folder, $"{split}-{what}-{idx}-ubyte");
        return File.Exists(name + ".gz") ? name + ".gz" : File.Exists(name) ? name : null;
    }

    private static DataException Missing(string folder, string split, string what, string idx) =>
        new(folder, $"has no {split}-{what}-{idx}-ubyte (or .gz); an idx data set folder holds train-images, train-labels, t10k-images and t10k-labels");
}
