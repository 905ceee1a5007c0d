using System.Buffers.Binary;
using GiantSharp.Errors;

namespace GiantSharp.Data.Images;

/// <summary>
/// One split of an image-text corpus: fixed-size records, each
/// <c>[label u16][caption length u16][caption ids u16 x caption_tokens][codes u16 x N][pixels u8 x H*W]</c>, little-endian.
/// The file is read whole into memory (Fashion-MNIST's 60,000 training images take 54 MB).
/// </summary>
public sealed class ImageTextSplit
{
    private readonly byte[] _data;
    private readonly int _captionTokens, _patches, _imageBytes;

    private ImageTextSplit(string path, byte[] data, int count, int captionTokens, ImagePatches geometry)
    {
        Path = path;
        _data = data;
        Count = count;
        _captionTokens = captionTokens;
        _patches = geometry.Count;
        _imageBytes = geometry.ImageBytes;
        Geometry = geometry;
    }

    /// <summary>Bytes per record.</summary>
    public static int RecordBytes(int captionTokens, ImagePatches geometry) => 4 + 2 * captionTokens + 2 * geometry.Count + geometry.ImageBytes;

    /// <summary>The record file.</summary>
    public string Path { get; }
    /// <summary>Number of examples.</summary>
    public int Count { get; }
    /// <summary>Image and patch size.</summary>
    public ImagePatches Geometry { get; }

    /// <summary>Reads the records of <paramref name="path"/>, which must hold exactly <paramref name="count"/>.</summary>
    /// <exception cref="DataException">Missing, or of another size than the meta says (truncated).</exception>
    public static ImageTextSplit Open(string path, int count, int captionTokens, ImagePatches geometry)
    {
        if (!File.Exists(path)) throw new DataException(path, "not found; re-run 'giant prepare'");
        long expected = (long)count * RecordBytes(captionTokens, geometry);
        long have = new FileInfo(path).Length;
        if (have != expected) throw new DataException(path, $"has {have:N0} bytes, {count:N0} records need {expected:N0} (truncated?); re-run 'giant prepare'");
        return new ImageTextSplit(path, File.ReadAllBytes(path), count, captionTokens, geometry);
    }

    /// <summary>Writes records atomically; returns nothing, the meta is written after.</summary>
    public static void Write(string path, int captionTokens, ImagePatches geometry, IReadOnlyList<(int Label, int[] Caption, int[] Codes, byte[] Pixels)> records)
    {
        int size = RecordBytes(captionTokens, geometry);
        AtomicFile.Write(path, stream =>
        {
            var buffer = new byte[size];
            foreach (var (label, caption, codes, pixels) in records)
            {
                Array.Clear(buffer);
                BinaryPrimitives.WriteUInt16LittleEndian(buffer, checked((ushort)label));
                BinaryPrimitives.WriteUInt16LittleEndian(buffer.AsSpan(2), checked((ushort)caption.Length));
                for (int j = 0; j < caption.Length; j++) BinaryPrimitives.WriteUInt16LittleEndian(buffer.AsSpan(4 + 2 * j), checked((ushort)caption[j]));
                int at = 4 + 2 * captionTokens;
                for (int g = 0; g < codes.Length; g++) BinaryPrimitives.WriteUInt16LittleEndian(buffer.AsSpan(at + 2 * g), checked((ushort)codes[g]));
                pixels.CopyTo(buffer.AsSpan(at + 2 * geometry.Count));
                stream.Write(buffer);
            }
        });
    }

    /// <summary>The class of example <paramref name="i"/>.</summary>
    public int Label(int i) => BinaryPrimitives.ReadUInt16LittleEndian(Record(i));

    /// <summary>The caption word ids of example <paramref name="i"/>.</summary>
    public int[] Caption(int i)
    {
        var r = Record(i);
        int n = Math.Min(BinaryPrimitives.ReadUInt16LittleEndian(r[2..]), _captionTokens);
        var ids = new int[n];
        for (int j = 0; j < n; j++) ids[j] = BinaryPrimitives.ReadUInt16LittleEndian(r[(4 + 2 * j)..]);
        return ids;
    }

    /// <summary>The image codes (0..K-1) of example <paramref name="i"/>, one per patch.</summary>
    public int[] Codes(int i)
    {
        var r = Record(i)[(4 + 2 * _captionTokens)..];
        var codes = new int[_patches];
        for (int g = 0; g < _patches; g++) codes[g] = BinaryPrimitives.ReadUInt16LittleEndian(r[(2 * g)..]);
        return codes;
    }

    /// <summary>The pixels (H * W) of example <paramref name="i"/>.</summary>
    public ReadOnlySpan<byte> Pixels(int i) => Record(i).Slice(4 + 2 * _captionTokens + 2 * _patches, _imageBytes);

    /// <summary>The patches (N * P bytes) of example <paramref name="i"/>.</summary>
    public byte[] Patches(int i)
    {
        var patches = new byte[_imageBytes];
        Geometry.Cut(Pixels(i), patches);
        return patches;
    }

    private ReadOnlySpan<byte> Record(int i)
    {
        if ((uint)i >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(i), i, $"outside [0, {Count})");
        int size = _data.Length / Math.Max(1, Count);
        return _data.AsSpan(i * size, size);
    }
}
