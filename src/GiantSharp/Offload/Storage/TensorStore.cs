using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace GiantSharp.Offload.Storage;

/// <summary>
/// Offload mechanism: named groups of fp32 tensors, each one flat buffer (N,) on one <see cref="Tier"/>: a
/// device tensor, a host tensor (page-locked when the device is CUDA), or a preallocated file in
/// <see cref="Directory"/> read and written with direct I/O (<see cref="DirectFile"/>: the page cache is bypassed,
/// so the disk tier costs what the drive costs and holds no memory). Every group has room for
/// <see cref="PaddedNumel"/> elements, a whole number of 4096-byte units, so aligned staging buffers move whole
/// groups without bounce copies. It moves bytes and knows no policy; <see cref="OffloadPlan"/> decides what goes where.
/// Source: the swapper of ZeRO-Infinity (Rajbhandari et al. 2021, sec. 6); M6-10T sec. 3.2.
/// Not thread-safe per group: one writer at a time (the offload engine serialises each group's transfers).
/// </summary>
public sealed class TensorStore : IDisposable
{
    /// <summary>Elements per piece when a group streams to or from a snapshot file: 4 MiB of fp32, within the staging a plan counts for bounce buffers.</summary>
    internal const long ChunkElements = 1L << 20;
    private readonly Dictionary<string, Group> _groups = new(StringComparer.Ordinal);
    private readonly object _lock = new();

    /// <summary>Creates an empty store for <paramref name="device"/>, with disk-tier files in <paramref name="directory"/>.</summary>
    /// <exception cref="Errors.DataException">The directory cannot be created or written.</exception>
    public TensorStore(Device device, string? directory)
    {
        Device = device;
        Directory = directory is null ? null : Path.GetFullPath(directory);
        if (Directory is not null) StoreFiles.EnsureWritableDirectory(Directory);
    }

    /// <summary>The compute device (the <see cref="Tier.Device"/> tier).</summary>
    public Device Device { get; }
    /// <summary>Folder of the disk tier's files, or null when the store has no disk tier.</summary>
    public string? Directory { get; }
    /// <summary>Keys of all groups.</summary>
    public IReadOnlyCollection<string> Keys { get { lock (_lock) return _groups.Keys.ToArray(); } }

    /// <summary>
    /// Whether the disk tier's files bypass the page cache: true when every disk group is opened with O_DIRECT, false
    /// when any fell back to buffered I/O (the file system refused direct I/O), null when the store has no disk group.
    /// </summary>
    public bool? DirectIo
    {
        get
        {
            lock (_lock)
            {
                var files = _groups.Values.Where(g => g.File is not null).ToList();
                return files.Count == 0 ? null : files.All(g => g.File!.IsDirect);
            }
        }
    }

    /// <summary>The tier of group <paramref name="key"/>.</summary>
    public Tier TierOf(string key) => Get(key).Tier;
    /// <summary>The layout of group <paramref name="key"/>.</summary>
    public TensorLayout LayoutOf(string key) => Get(key).Layout;
    /// <summary>Elements group <paramref name="key"/> has room for: its numel rounded up to a multiple of 1024 (4096 bytes).</summary>
    public long PaddedNumel(string key) => AlignedBuffer.Padded(Get(key).Layout.Numel);
    /// <summary>Whether group <paramref name="key"/> exists.</summary>
    public bool Contains(string key) { lock (_lock) return _groups.ContainsKey(key); }
    /// <summary>Bytes the groups on <paramref name="tier"/> occupy.</summary>
    public long BytesOn(Tier tier) { lock (_lock) return _groups.Values.Where(g => g.Tier == tier).Sum(g => g.Layout.Bytes); }
    /// <summary>The backing file of a disk group, or null.</summary>
    public string? PathOf(string key) => Get(key).File?.Path;

    /// <summary>Creates group <paramref name="key"/> on <paramref name="tier"/>, zero-filled.</summary>
    /// <exception cref="ArgumentException">The key exists.</exception>
    /// <exception cref="InvalidOperationException">A disk group without a directory.</exception>
    /// <exception cref="Errors.DataException">The disk tier's file cannot be created (full disk, no permission).</exception>
    public void Allocate(string key, Tier tier, TensorLayout layout)
    {
        if (Contains(key)) throw new ArgumentException($"group '{key}' exists", nameof(key));
        var group = new Group(tier, layout);
        var padded = AlignedBuffer.Padded(layout.Numel);
        switch (tier)
        {
            case Tier.Device:
                group.Buffer = zeros(padded, device: Device).DetachFromDisposeScope();
                break;
            case Tier.Host:
                var host = AlignedBuffer.Empty(padded, CPU);
                host.zero_();
                group.Buffer = Device.type == DeviceType.CUDA ? Pin(host) : host;
                break;
            default:
                if (Directory is null) throw new InvalidOperationException($"group '{key}' is on disk but the store has no directory");
                group.File = DirectFile.Create(Path.Combine(Directory, FileName(key)), 4 * padded);
                break;
        }
        lock (_lock) _groups[key] = group;
    }

    /// <summary>Removes group <paramref name="key"/>, releasing its memory or deleting its file.</summary>
    public void Free(string key)
    {
        Group? g;
        lock (_lock) { if (!_groups.Remove(key, out g)) return; }
        g.Buffer?.Dispose();
        if (g.File is not null)
        {
            g.File.Dispose();
            StoreFiles.TryDelete(g.File.Path);
        }
    }

    /// <summary>
    /// Group <paramref name="key"/> of a memory tier (device or host) as a flat fp32 tensor (N,), an alias of its buffer
    /// to read and write in place. Disk groups have no such view: move their bytes with <see cref="ReadRange"/> and
    /// <see cref="WriteRange"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The group is on disk.</exception>
    public Tensor Open(string key)
    {
        var g = Get(key);
        if (g.Buffer is null) throw new InvalidOperationException($"group '{key}' is on disk: read and write it by ranges");
        return g.Buffer.narrow(0, 0, g.Layout.Numel);
    }

    /// <summary>
    /// Copies elements [<paramref name="start"/>, start + n) of group <paramref name="key"/> into <paramref name="destination"/>,
    /// a contiguous fp32 tensor of n elements on any device; the range may reach into the padding up to
    /// <see cref="PaddedNumel"/> (whose values are unspecified). From disk, an aligned CPU destination (see
    /// <see cref="AlignedBuffer"/>) at an aligned start is filled by the drive directly.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is outside the group's room.</exception>
    /// <exception cref="Errors.DataException">The disk file cannot be read; the message names it.</exception>
    public void ReadRange(string key, long start, Tensor destination)
    {
        var g = Get(key);
        long n = destination.numel();
        CheckRange(key, g, start, n);
        if (g.Buffer is not null)
        {
            using var src = g.Buffer.narrow(0, start, n);
            Copy(src, destination);
            return;
        }
        if (destination.device_type == DeviceType.CPU)
        {
            g.File!.Read(4 * start, destination.bytes);
            return;
        }
        using var host = AlignedBuffer.Empty(n, CPU);
        using var part = host.narrow(0, 0, n);
        g.File!.Read(4 * start, part.bytes);
        destination.copy_(part);
    }

    /// <summary>Copies <paramref name="source"/> (contiguous fp32, any device) into group <paramref name="key"/> from element <paramref name="start"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is outside the group's room.</exception>
    /// <exception cref="Errors.DataException">The disk file cannot be written (e.g. the disk is full); the message names it.</exception>
    public void WriteRange(string key, long start, Tensor source)
    {
        var g = Get(key);
        long n = source.numel();
        CheckRange(key, g, start, n);
        if (g.Buffer is not null)
        {
            using var dst = g.Buffer.narrow(0, start, n);
            Copy(source, dst);
            return;
        }
        if (source.device_type == DeviceType.CPU && source.is_contiguous())
        {
            g.File!.Write(4 * start, source.bytes);
            return;
        }
        using var host = source.to(CPU).contiguous();
        g.File!.Write(4 * start, host.bytes);
    }

    /// <summary>Copies group <paramref name="key"/> into <paramref name="destination"/>, a contiguous fp32 tensor (N,) on any device.</summary>
    public void ReadInto(string key, Tensor destination)
    {
        if (destination.numel() != LayoutOf(key).Numel)
            throw new ArgumentException($"group '{key}' has {LayoutOf(key).Numel} elements, destination {destination.numel()}", nameof(destination));
        ReadRange(key, 0, destination);
    }

    /// <summary>
    /// Copies <paramref name="values"/> (one per layout entry, in order, any device) into group <paramref name="key"/>. With
    /// <paramref name="sumSquares"/>, also stores each value's squared L2 norm (float64, as
    /// <see cref="Training.GradientClipping.GlobalNorm"/> computes it).
    /// </summary>
    public void Write(string key, IReadOnlyList<Tensor> values, double[]? sumSquares = null)
    {
        var layout = LayoutOf(key);
        if (values.Count != layout.Entries.Count) throw new ArgumentException($"group '{key}' has {layout.Entries.Count} tensors, got {values.Count}", nameof(values));
        using var _ = no_grad();
        for (int i = 0; i < values.Count; i++)
        {
            using var scope = NewDisposeScope();                              // temporaries of one tensor at a time
            if (!values[i].shape.SequenceEqual(layout.Entries[i].Shape))
                throw new ArgumentException($"group '{key}' entry {layout.Entries[i].Name} has shape [{string.Join(", ", layout.Entries[i].Shape)}], got [{string.Join(", ", values[i].shape)}]", nameof(values));
            var v = values[i].dtype == ScalarType.Float32 ? values[i].contiguous() : values[i].to(ScalarType.Float32).contiguous();
            WriteRange(key, layout.Entries[i].Offset, v.view(-1));
            if (sumSquares is not null) sumSquares[i] = Training.GradientClipping.SumOfSquares(v);
        }
    }

    /// <summary>Reads entry <paramref name="entry"/> of group <paramref name="key"/> into a new tensor of its shape on <paramref name="device"/> (the caller owns it).</summary>
    public Tensor ReadEntry(string key, int entry, Device device)
    {
        var e = LayoutOf(key).Entries[entry];
        var t = empty(e.Shape, device: device);
        using var flat = t.view(-1);
        ReadRange(key, e.Offset, flat);
        return t;
    }

    /// <summary>
    /// Calls <paramref name="body"/> with consecutive pieces of group <paramref name="key"/> (start element, a CPU tensor
    /// holding the piece), each at most 1 Mi elements, the last one cut at the group's numel; for streaming a group to a file.
    /// </summary>
    public void ForEachPiece(string key, Action<long, Tensor> body)
    {
        long numel = LayoutOf(key).Numel;
        using var buffer = AlignedBuffer.Empty(Math.Min(ChunkElements, Math.Max(numel, 1)), CPU);
        for (long start = 0; start < numel; start += ChunkElements)
        {
            long n = Math.Min(ChunkElements, numel - start);
            using var piece = buffer.narrow(0, 0, n);
            ReadRange(key, start, piece);
            body(start, piece);
        }
    }

    /// <summary>
    /// Writes every group (or those <paramref name="include"/> accepts), with its tier, layout and
    /// <paramref name="metadata"/>, to <paramref name="folder"/> atomically (a temporary folder renamed into
    /// place; an older folder is replaced).
    /// </summary>
    /// <exception cref="Errors.DataException">The folder cannot be written (full disk, no permission).</exception>
    public void Save(string folder, JsonObject? metadata = null, Func<string, bool>? include = null) =>
        StoreSnapshot.Save(this, folder, metadata, include ?? (_ => true));

    /// <summary>
    /// A store holding the groups saved in <paramref name="folder"/>, each on the tier <paramref name="tierOf"/>
    /// chooses (default: the tier it was saved from), with disk files in <paramref name="directory"/>.
    /// </summary>
    /// <exception cref="Errors.DataException">The folder is missing, malformed or truncated.</exception>
    public static TensorStore Load(string folder, Device device, string? directory, Func<string, Tier, Tier>? tierOf = null)
    {
        var snapshot = StoreSnapshot.Read(folder);
        var store = new TensorStore(device, directory);
        try
        {
            foreach (var (key, tier, layout, file) in snapshot.Groups)
            {
                store.Allocate(key, tierOf?.Invoke(key, tier) ?? tier, layout);
                StoreSnapshot.Fill(store, key, file);
            }
            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>The metadata saved with the store in <paramref name="folder"/>.</summary>
    /// <exception cref="Errors.DataException">The folder is missing or malformed.</exception>
    public static JsonObject ReadMetadata(string folder) => StoreSnapshot.Read(folder).Metadata;

    /// <summary>Frees every group and deletes the disk tier's files.</summary>
    public void Dispose()
    {
        foreach (var key in Keys) Free(key);
    }

    /// <summary>File name of a disk group: the key with unsafe characters replaced, plus <c>.f32</c>.</summary>
    internal static string FileName(string key) =>
        new string(key.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_').ToArray()) + ".f32";

    private static void CheckRange(string key, Group g, long start, long n)
    {
        if (start < 0 || n < 0 || start + n > AlignedBuffer.Padded(g.Layout.Numel))
            throw new ArgumentOutOfRangeException(nameof(start), $"elements [{start}, {start + n}) are outside group '{key}' ({g.Layout.Numel} elements)");
    }

    /// <summary>Copies between contiguous tensors: a plain memcpy on this thread when both are on the CPU (no libtorch thread pool).</summary>
    private static void Copy(Tensor src, Tensor dst)
    {
        if (src.device_type == DeviceType.CPU && dst.device_type == DeviceType.CPU && src.is_contiguous() && dst.is_contiguous())
            StoreFiles.CopyCpu(src, dst);
        else
            dst.copy_(src);
    }

    private static Tensor Pin(Tensor host)
    {
        var pinned = host.pin_memory().DetachFromDisposeScope();
        host.Dispose();
        return pinned;
    }

    private Group Get(string key)
    {
        lock (_lock)
            return _groups.TryGetValue(key, out var g) ? g : throw new KeyNotFoundException($"no group '{key}' in the offload store");
    }

    private sealed class Group(Tier tier, TensorLayout layout)
    {
        public Tier Tier { get; } = tier;
        public TensorLayout Layout { get; } = layout;
        public Tensor? Buffer { get; set; }
        public DirectFile? File { get; set; }
    }
}
