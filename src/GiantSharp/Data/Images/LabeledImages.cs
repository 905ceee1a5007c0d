using GiantSharp.Errors;

namespace GiantSharp.Data.Images;

/// <summary>
/// Grayscale images with class labels, as an idx pair holds them (e.g. Fashion-MNIST's <c>train-images-idx3-ubyte.gz</c>
/// and <c>train-labels-idx1-ubyte.gz</c>): <see cref="Count"/> images of <see cref="Height"/> x <see cref="Width"/>
/// 8-bit pixels, row-major, one after another.
/// </summary>
public sealed class LabeledImages
{
    /// <summary>Images and labels as given; <paramref name="pixels"/> holds count * height * width bytes.</summary>
    /// <exception cref="ArgumentException">The sizes disagree.</exception>
    public LabeledImages(byte[] pixels, byte[] labels, int height, int width)
    {
        if (height <= 0 || width <= 0) throw new ArgumentException($"image size {height} x {width} must be positive");
        if (pixels.LongLength != (long)labels.Length * height * width)
            throw new ArgumentException($"{pixels.LongLength} pixels are not {labels.Length} images of {height} x {width}", nameof(pixels));
        Pixels = pixels;
        Labels = labels;
        Height = height;
        Width = width;
    }

    /// <summary>Number of images.</summary>
    public int Count => Labels.Length;
    /// <summary>Rows per image.</summary>
    public int Height { get; }
    /// <summary>Columns per image.</summary>
    public int Width { get; }
    /// <summary>Pixels per image.</summary>
    public int ImageBytes => Height * Width;
    /// <summary>Every image's pixels, row-major, image after image.</summary>
    public byte[] Pixels { get; }
    /// <summary>Every image's class index.</summary>
    public byte[] Labels { get; }

    /// <summary>The pixels of image <paramref name="i"/>.</summary>
    public ReadOnlySpan<byte> Image(int i) => Pixels.AsSpan(i * ImageBytes, ImageBytes);

    /// <summary>Reads an idx pair: images (N, H, W) and labels (N).</summary>
    /// <exception cref="DataException">A file is unreadable (see <see cref="IdxFile.Read"/>), has the wrong number of
    /// dimensions, or the two disagree on the number of examples.</exception>
    public static LabeledImages Read(string imagesPath, string labelsPath)
    {
        var (imageShape, pixels) = IdxFile.Read(imagesPath);
        if (imageShape.Length != 3) throw new DataException(imagesPath, $"holds a {imageShape.Length}-dimensional array; images are 3-dimensional (count, rows, columns)");
        var (labelShape, labels) = IdxFile.Read(labelsPath);
        if (labelShape.Length != 1) throw new DataException(labelsPath, $"holds a {labelShape.Length}-dimensional array; labels are 1-dimensional");
        if (labelShape[0] != imageShape[0])
            throw new DataException(labelsPath, $"has {labelShape[0]:N0} labels but {Path.GetFileName(imagesPath)} has {imageShape[0]:N0} images; they must be a pair");
        return new LabeledImages(pixels, labels, imageShape[1], imageShape[2]);
    }
}
