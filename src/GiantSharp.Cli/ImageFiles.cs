using GiantSharp.Errors;
using SkiaSharp;

namespace GiantSharp.Cli;

/// <summary>Grayscale images to and from PNG files (SkiaSharp, the library ScottPlot draws with).</summary>
internal static class ImageFiles
{
    /// <summary>
    /// Writes <paramref name="images"/> (H * W bytes each) as a PNG grid of <paramref name="columns"/> columns, each pixel
    /// drawn <paramref name="scale"/> x <paramref name="scale"/>, <paramref name="gap"/>-pixel gaps, written atomically.
    /// </summary>
    /// <exception cref="IOException">The file could not be written.</exception>
    public static void SaveGrid(string path, IReadOnlyList<byte[]> images, int height, int width, int columns, int scale = 2, int gap = 2)
    {
        columns = Math.Max(1, Math.Min(columns, images.Count));
        int rows = (images.Count + columns - 1) / columns;
        int cellW = width * scale + gap, cellH = height * scale + gap;
        using var bitmap = new SKBitmap(new SKImageInfo(columns * cellW + gap, rows * cellH + gap, SKColorType.Gray8, SKAlphaType.Opaque));
        bitmap.Erase(new SKColor(96, 96, 96));
        for (int i = 0; i < images.Count; i++)
        {
            int left = gap + i % columns * cellW, top = gap + i / columns * cellH;
            for (int y = 0; y < height * scale; y++)
                for (int x = 0; x < width * scale; x++)
                {
                    byte v = images[i][y / scale * width + x / scale];
                    bitmap.SetPixel(left + x, top + y, new SKColor(v, v, v));
                }
        }
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}");
        try
        {
            using (var image = SKImage.FromBitmap(bitmap))
            using (var data = image.Encode(SKEncodedImageFormat.Png, 100))
            using (var file = File.Create(temp))
                data.SaveTo(file);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>
    /// Reads an image file (PNG, JPEG, ...) as <paramref name="height"/> x <paramref name="width"/> 8-bit gray (luma),
    /// resized with linear filtering when its size differs.
    /// </summary>
    /// <exception cref="DataException">The file is missing or not an image SkiaSharp can decode.</exception>
    public static byte[] ReadGray(string path, int height, int width)
    {
        if (!File.Exists(path)) throw new DataException(path, "image file not found");
        using var decoded = SKBitmap.Decode(path) ?? throw new DataException(path, "is not an image that can be decoded (PNG, JPEG, ...)");
        using var sized = decoded.Width == width && decoded.Height == height ? null : decoded.Resize(new SKImageInfo(width, height), new SKSamplingOptions(SKFilterMode.Linear));
        var source = sized ?? decoded;
        var gray = new byte[height * width];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                var c = source.GetPixel(x, y);
                double luma = 0.299 * c.Red + 0.587 * c.Green + 0.114 * c.Blue;
                gray[y * width + x] = (byte)Math.Clamp(Math.Round(luma * c.Alpha / 255.0), 0, 255);   // transparent reads as black, the training images' background
            }
        return gray;
    }
}
