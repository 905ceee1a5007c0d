using System.Text.Json;
using System.Text.Json.Nodes;
using GiantSharp.Errors;
using TorchSharp;
using static TorchSharp.torch;

namespace GiantSharp.Offload.Storage;

/// <summary>
/// The on-disk form of a <see cref="TensorStore"/>: a folder with one raw little-endian fp32 file per group
/// and <c>store.json</c> (format, groups with tier and layout, caller metadata). Written atomically.
/// </summary>
internal static class StoreSnapshot
{
    public const string IndexFile = "store.json";
    public const string Format = "giantsharp-offload-store/1";

    /// <summary>One saved group.</summary>
    public sealed record SavedGroup(string Key, Tier Tier, TensorLayout Layout, string File);

    /// <summary>What a folder holds.</summary>
    public sealed record Contents(IReadOnlyList<SavedGroup> Groups, JsonObject Metadata);

    public static void Save(TensorStore store, string folder, JsonObject? metadata, Func<string, bool> include)
    {
        StoreFiles.WriteFolderAtomically(folder, tmp =>
        {
            var groups = new JsonArray();
            foreach (var key in store.Keys.Where(include).OrderBy(k => k, StringComparer.Ordinal))
            {
                var file = TensorStore.FileName(key);
                var raw = Path.Combine(tmp, file);
                StoreFiles.Guard(raw, "cannot write", () =>
                {
                    using var fs = new FileStream(raw, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
                    store.ForEachPiece(key, (_, piece) => fs.Write(piece.bytes));
                    fs.Flush(flushToDisk: true);
                });
                var entries = new JsonArray(store.LayoutOf(key).Entries
                    .Select(e => (JsonNode)new JsonObject { ["name"] = e.Name, ["shape"] = new JsonArray(e.Shape.Select(d => (JsonNode)d).ToArray()), ["offset"] = e.Offset }).ToArray());
                groups.Add(new JsonObject
                {
                    ["key"] = key, ["tier"] = JsonSerializer.SerializeToNode(store.TierOf(key)), ["file"] = file, ["entries"] = entries,
                });
            }
            var index = new JsonObject { ["format"] = Format, ["groups"] = groups, ["metadata"] = metadata?.DeepClone() ?? new JsonObject() };
            var path = Path.Combine(tmp, IndexFile);
            StoreFiles.Guard(path, "cannot write", () =>
            {
                using var fs = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
                using (var w = new Utf8JsonWriter(fs, new JsonWriterOptions { Indented = true })) index.WriteTo(w);
                fs.Flush(flushToDisk: true);
            });
        });
    }

    public static Contents Read(string folder)
    {
        var path = Path.Combine(folder, IndexFile);
        if (!File.Exists(path)) throw new DataException(folder, $"no offload store here ({IndexFile} is missing)");
        try
        {
            var root = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            if ((string?)root["format"] != Format) throw new DataException(path, $"format is '{root["format"]}', expected '{Format}'");
            var groups = root["groups"]!.AsArray().Select(g => new SavedGroup(
                (string)g!["key"]!,
                g["tier"].Deserialize<Tier>(),
                new TensorLayout(g["entries"]!.AsArray().Select(e => ((string)e!["name"]!, e["shape"]!.AsArray().Select(d => (long)d!).ToArray(), (long?)e["offset"]))),
                Path.Combine(folder, (string)g["file"]!))).ToList();
            return new Contents(groups, root["metadata"]?.AsObject().DeepClone().AsObject() ?? new JsonObject());
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException or FormatException)
        {
            throw new DataException(path, $"malformed offload store index: {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new DataException(path, $"cannot read: {e.Message}", e);
        }
    }

    /// <summary>Fills group <paramref name="key"/> of <paramref name="store"/> from a saved raw file, piece by piece.</summary>
    public static void Fill(TensorStore store, string key, string file)
    {
        long numel = store.LayoutOf(key).Numel;
        StoreFiles.Guard(file, "cannot read", () =>
        {
            using var fs = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
            if (fs.Length != 4 * numel) throw new DataException(file, $"holds {fs.Length} bytes, expected {4 * numel}");
            using var buffer = AlignedBuffer.Empty(Math.Min(TensorStore.ChunkElements, Math.Max(numel, 1)), CPU);
            for (long start = 0; start < numel; start += TensorStore.ChunkElements)
            {
                using var piece = buffer.narrow(0, 0, Math.Min(TensorStore.ChunkElements, numel - start));
                fs.ReadExactly(piece.bytes);
                store.WriteRange(key, start, piece);
            }
        });
    }
}
