using System.Buffers.Binary;
using System.IO.Compression;
using GiantSharp.Errors;

namespace GiantSharp.Data.Images;

/// <summary>
/// Reads the idx format of MNIST and Fashion-MNIST (LeCun et al. 1998; Xiao et al. 2017), plain or gzip-compressed:
/// two zero bytes, a type byte (0x08: unsigned bytes, the only type those data sets use), the number of dimensions,
/// each dimension as a big-endian int32, then the values in row-major order.
/// </summary>
public static class IdxFile
{
    /// <summary>The type byte of unsigned 8-bit values.</summary>
    public const byte UnsignedByte = 0x08;

    /// <summary>Reads <paramref name="path"/> whole: its shape and its values.</summary>
    /// <exception cref="DataException">
    /// The file is missing, is not idx (or not gzip of idx), holds another type than unsigned bytes, or has fewer or
    /// more value bytes than its header says (truncated or corrupt).
    /// </exception>
    public static (int[] Shape, byte[] Values) Read(string path)
    {
        if (!File.Exists(path)) throw new DataException(path, "idx file not found");
        byte[] bytes;
        try { bytes = Decompress(path); }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException)
        {
            throw new DataException(path, $"could not be read as gzip ({e.Message}): truncated or corrupt", e);
        }
        if (bytes.Length < 4 || bytes[0] != 0 || bytes[1] != 0)
            throw new DataException(path, "is not an idx file (it must start with two zero bytes)");
        if (bytes[2] != UnsignedByte)
            throw new DataException(path, $"holds idx type 0x{bytes[2]:X2}; only unsigned bytes (0x08) are read");
        int dims = bytes[3];
        if (dims == 0 || bytes.Length < 4 + 4 * dims)
            throw new DataException(path, $"has a truncated idx header ({bytes.Length} bytes for {dims} dimensions)");
        var shape = new int[dims];
        long count = 1;
        for (int d = 0; d < dims; d++)
        {
            shape[d] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * d));
            if (shape[d] <= 0) throw new DataException(path, $"dimension {d} is {shape[d]}; idx dimensions must be positive");
            count *= shape[d];
        }
        long have = bytes.Length - 4L - 4 * dims;
        if (have < count)
            throw new DataException(path, $"is truncated: its header says {string.Join(" x ", shape)} = {count:N0} values, it holds {have:N0}");
        if (have > count)
            throw new DataException(path, $"has {have - count:N0} bytes after the {string.Join(" x ", shape)} values its header describes");
        return (shape, bytes.AsSpan(4 + 4 * dims).ToArray());
    }

    private static byte[] Decompress(string path)
    {
        using var file = File.OpenRead(path);
        var magic = new byte[2];
        int read = file.Read(magic, 0, 2);
        file.Position = 0;
        if (read < 2 || magic[0] != 0x1f || magic[1] != 0x8b) return File.ReadAllBytes(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var memory = new MemoryStream();
        gzip.CopyTo(memory);
        return memory.ToArray();
    }
}
