namespace GiantSharp.Data.Images;

/// <summary>
/// Cuts a grayscale image (H, W) into non-overlapping square patches of side S, in raster order over a
/// (H/S, W/S) grid, each patch's S * S pixels in raster order (ViT, Dosovitskiy et al. 2021, sec. 3.1), and back.
/// </summary>
public readonly record struct ImagePatches(int Height, int Width, int PatchSize)
{
    /// <summary>Patches per image, (H/S) * (W/S).</summary>
    public int Count => Height / PatchSize * (Width / PatchSize);
    /// <summary>Pixels per patch, S * S.</summary>
    public int PatchDim => PatchSize * PatchSize;
    /// <summary>Pixels per image.</summary>
    public int ImageBytes => Height * Width;

    /// <summary>Checks that S divides both sides.</summary>
    /// <exception cref="Errors.ConfigException">Key <c>data.images.patch_size</c>: not positive, or does not divide the image.</exception>
    public ImagePatches Validate()
    {
        if (PatchSize <= 0 || Height % PatchSize != 0 || Width % PatchSize != 0)
            throw new Errors.ConfigException("data.images.patch_size", $"must divide the {Height} x {Width} images, got {PatchSize}");
        return this;
    }

    /// <summary>Writes the <see cref="Count"/> patches of <paramref name="image"/> (H * W bytes) into <paramref name="patches"/> (Count * S * S bytes).</summary>
    public void Cut(ReadOnlySpan<byte> image, Span<byte> patches)
    {
        int s = PatchSize, cols = Width / s, p = 0;
        for (int g = 0; g < Count; g++)
        {
            int top = g / cols * s, left = g % cols * s;
            for (int r = 0; r < s; r++)
                for (int c = 0; c < s; c++)
                    patches[p++] = image[(top + r) * Width + left + c];
        }
    }

    /// <summary>Puts <paramref name="patches"/> (Count * S * S bytes) back into an image (H * W bytes); the inverse of <see cref="Cut"/>.</summary>
    public void Join(ReadOnlySpan<byte> patches, Span<byte> image)
    {
        int s = PatchSize, cols = Width / s, p = 0;
        for (int g = 0; g < Count; g++)
        {
            int top = g / cols * s, left = g % cols * s;
            for (int r = 0; r < s; r++)
                for (int c = 0; c < s; c++)
                    image[(top + r) * Width + left + c] = patches[p++];
        }
    }

    /// <summary>The patches of every image of <paramref name="images"/> (N * H * W bytes), image after image.</summary>
    public byte[] CutAll(ReadOnlySpan<byte> images)
    {
        int n = images.Length / ImageBytes;
        var patches = new byte[images.Length];
        for (int i = 0; i < n; i++)
            Cut(images.Slice(i * ImageBytes, ImageBytes), patches.AsSpan(i * ImageBytes, ImageBytes));
        return patches;
    }
}
