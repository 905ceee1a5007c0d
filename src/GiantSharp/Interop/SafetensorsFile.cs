using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GiantSharp.Errors;
using static TorchSharp.torch;

namespace GiantSharp.Interop;

/// <summary>
/// The safetensors file format (Hugging Face), float32 only: an 8-byte little-endian header length N, N bytes of JSON
/// <c>{name: {dtype: "F32", shape: [...], data_offsets: [begin, end]}, "__metadata__": {"format": "pt"}}</c> (padded
/// with spaces to a multiple of 8), then the tensors' raw little-endian bytes in header order.
/// Source: https://github.com/huggingface/safetensors (format section of its README).
/// </summary>
public static class SafetensorsFile
{
    private const string MetadataKey = "__metadata__";

    /// <summary>
    /// Writes <paramref name="tensors"/> (any shape, converted to float32, in this order) to <paramref name="path"/> through a
    /// temporary file renamed into place, so a failed write leaves any earlier file whole.
    /// </summary>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void Write(string path, IReadOnlyList<(string Name, Tensor Value)> tensors)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors data is little-endian; this machine is not");
        var header = new JsonObject();
        long offset = 0;
        foreach (var (name, value) in tensors)
        {
            long bytes = value.numel() * sizeof(float);
            header[name] = new JsonObject
            {
                ["dtype"] = "F32",
                ["shape"] = new JsonArray(value.shape.Select(s => (JsonNode)JsonValue.Create(s)).ToArray()),
                ["data_offsets"] = new JsonArray(JsonValue.Create(offset), JsonValue.Create(offset + bytes)),
            };
            offset += bytes;
        }
        header[MetadataKey] = new JsonObject { ["format"] = "pt" };
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        var padded = json.Length + (8 - json.Length % 8) % 8;
        var temp = $"{path}.tmp-{Guid.NewGuid():N}";
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                Span<byte> length = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
                stream.Write(length);
                stream.Write(json);
                for (int i = json.Length; i < padded; i++) stream.WriteByte((byte)' ');
                foreach (var (_, value) in tensors)
                {
                    using var cpu = value.detach().to(ScalarType.Float32, CPU).contiguous();
                    stream.Write(MemoryMarshal.AsBytes(cpu.data<float>().ToArray().AsSpan()));
                }
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { }
            throw;
        }
    }

    /// <summary>The header of <paramref name="path"/>: each tensor's name, dtype and shape, in file order (metadata left out).</summary>
    /// <exception cref="DataException">The file is not a well-formed safetensors file.</exception>
    public static IReadOnlyList<(string Name, string Dtype, long[] Shape, long Begin, long End)> ReadHeader(string path)
    {
        using var stream = OpenRead(path);
        return ReadHeader(path, stream, out _);
    }

    /// <summary>Reads every tensor of <paramref name="path"/> as a new float32 CPU tensor.</summary>
    /// <exception cref="DataException">The file is malformed, or a tensor is not F32 (named).</exception>
    public static Dictionary<string, Tensor> Read(string path)
    {
        using var stream = OpenRead(path);
        var entries = ReadHeader(path, stream, out var dataStart);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, dtype, shape, begin, end) in entries)
        {
            if (dtype != "F32") throw new DataException(path, $"tensor '{name}' is {dtype}; only F32 is read");
            var count = shape.Aggregate(1L, (a, b) => a * b);
            if (end - begin != count * sizeof(float) || dataStart + end > stream.Length)
                throw new DataException(path, $"tensor '{name}': data_offsets [{begin}, {end}] do not hold shape [{string.Join(",", shape)}] of F32 inside the file");
            var values = new float[count];
            stream.Position = dataStart + begin;
            stream.ReadExactly(MemoryMarshal.AsBytes(values.AsSpan()));
            result[name] = tensor(values, shape);
        }
        return result;
    }

    private static FileStream OpenRead(string path) =>
        File.Exists(path) ? new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read) : throw new DataException(path, "file not found");

    private static List<(string, string, long[], long, long)> ReadHeader(string path, FileStream stream, out long dataStart)
    {
        Span<byte> length = stackalloc byte[8];
        if (stream.Read(length) != 8) throw new DataException(path, "too short for a safetensors header");
        var n = BinaryPrimitives.ReadUInt64LittleEndian(length);
        if (n > (ulong)(stream.Length - 8)) throw new DataException(path, $"header length {n} exceeds the file");
        var json = new byte[n];
        stream.ReadExactly(json);
        dataStart = 8 + (long)n;
        JsonObject header;
        try { header = JsonNode.Parse(json) as JsonObject ?? throw new DataException(path, "header is not a JSON object"); }
        catch (JsonException e) { throw new DataException(path, $"header is not JSON: {e.Message}"); }
        var entries = new List<(string, string, long[], long, long)>();
        foreach (var (name, node) in header)
        {
            if (name == MetadataKey) continue;
            try
            {
                var offsets = node!["data_offsets"]!.AsArray().Select(o => o!.GetValue<long>()).ToArray();
                if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0]) throw new FormatException("bad data_offsets");
                entries.Add((name, node["dtype"]!.GetValue<string>(), node["shape"]!.AsArray().Select(s => s!.GetValue<long>()).ToArray(), offsets[0], offsets[1]));
            }
            catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException)
            {
                throw new DataException(path, $"tensor '{name}': header entry needs dtype, shape and data_offsets [begin, end]");
            }
        }
        return entries;
    }
}
