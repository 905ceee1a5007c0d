using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace GiantSharp.Offload.Storage;

/// <summary>
/// Offload mechanism: named groups of fp32 tensors, each one flat buffer (N,) on one <see cref="Tier"/>: a
/// device tensor, a host tensor (page-locked when the device is CUDA), or a preallocated file in
/// <see cref="Directory"/> mapped only while in use (so its pages leave the process's resident set after use).
/// It moves bytes and knows no policy; <see cref="OffloadPlan"/> decides what goes where.
/// Source: the swapper of ZeRO-Infinity (Rajbhandari et al. 2021, sec. 6); M6-10T sec. 3.2.
/// Not thread-safe per group: one writer at a time (the offload engine serialises transfers on one worker).
/// </summary>
public sealed class TensorStore : IDisposable
{
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

    /// <summary>The tier of group <paramref name="key"/>.</summary>
    public Tier TierOf(string key) => Get(key).Tier;
    /// <summary>The layout of group <paramref name="key"/>.</summary>
    public TensorLayout LayoutOf(string key) => Get(key).Layout;
    /// <summary>Whether group <paramref name="key"/> exists.</summary>
    public bool Contains(string key) { lock (_lock) return _groups.ContainsKey(key); }
    /// <summary>Bytes the groups on <paramref name="tier"/> occupy.</summary>
    public long BytesOn(Tier tier) { lock (_lock) return _groups.Values.Where(g => g.Tier == tier).Sum(g => g.Layout.Bytes); }
    /// <summary>The backing file of a disk group, or null.</summary>
    public string? PathOf(string key) => Get(key).Path;

    /// <summary>Creates group <paramref name="key"/> on <paramref name="tier"/>, zero-filled.</summary>
    /// <exception cref="ArgumentException">The key exists.</exception>
    /// <exception cref="InvalidOperationException">A disk group without a directory.</exception>
    /// <exception cref="Errors.DataException">The disk tier's file cannot be created (full disk, no permission).</exception>
    public void Allocate(string key, Tier tier, TensorLayout layout)
    {
        if (Contains(key)) throw new ArgumentException($"group '{key}' exists", nameof(key));
        var group = new Group(tier, layout);
        switch (tier)
        {
            case Tier.Device:
                group.Buffer = zeros(layout.Numel, device: Device).DetachFromDisposeScope();
                break;
            case Tier.Host:
                var host = zeros(layout.Numel);
                group.Buffer = (Device.type == DeviceType.CUDA ? host.pin_memory() : host).DetachFromDisposeScope();
                break;
            default:
                if (Directory is null) throw new InvalidOperationException($"group '{key}' is on disk but the store has no directory");
                group.Path = Path.Combine(Directory, FileName(key));
                StoreFiles.Preallocate(group.Path, layout.Bytes);
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
        if (g.Path is not null) StoreFiles.TryDelete(g.Path);
    }

    /// <summary>
    /// Group <paramref name="key"/> as a flat fp32 tensor (N,) on its tier, to read and write in place: an alias
    /// of the buffer, or a fresh mapping of the disk file. Dispose it (or its dispose scope) to unmap.
    /// </summary>
    /// <param name="key">The group.</param>
    /// <param name="write">Whether the caller will write (disk: pages are prepared writable, and get written back).</param>
    /// <exception cref="Errors.DataException">The disk file is gone or cannot be mapped.</exception>
    public Tensor Open(string key, bool write = true)
    {
        var g = Get(key);
        return g.Buffer is not null ? g.Buffer.view(-1) : StoreFiles.Map(g.Path!, g.Layout.Numel, write);
    }

    /// <summary>Copies <paramref name="values"/> (one per layout entry, in order, any device) into group <paramref name="key"/>.</summary>
    public void Write(string key, IReadOnlyList<Tensor> values) => Accumulate(key, values, overwrite: true);

    /// <summary>
    /// Adds <paramref name="values"/> (one per layout entry) into group <paramref name="key"/>, or copies them when
    /// <paramref name="overwrite"/>. With <paramref name="sumSquares"/>, also stores each entry's squared L2 norm
    /// after the update (computed in float64, as <see cref="Training.GradientClipping.GlobalNorm"/> does).
    /// </summary>
    public void Accumulate(string key, IReadOnlyList<Tensor> values, bool overwrite, double[]? sumSquares = null)
    {
        var layout = LayoutOf(key);
        if (values.Count != layout.Entries.Count) throw new ArgumentException($"group '{key}' has {layout.Entries.Count} tensors, got {values.Count}", nameof(values));
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var flat = Open(key);
        for (int i = 0; i < values.Count; i++)
        {
            using var inner = NewDisposeScope();                              // temporaries of one tensor at a time
            var view = layout.View(flat, i);
            var v = values[i].device == view.device ? values[i] : values[i].to(view.device);
            if (overwrite) view.copy_(v); else view.add_(v);
            if (sumSquares is not null) sumSquares[i] = Training.GradientClipping.SumOfSquares(view);
        }
    }

    /// <summary>Copies group <paramref name="key"/> into <paramref name="destination"/>, a contiguous fp32 tensor (N,) on any device.</summary>
    public void ReadInto(string key, Tensor destination)
    {
        using var scope = NewDisposeScope();
        Prefetch(key);
        var flat = Open(key, write: false);
        if (destination.numel() != flat.numel()) throw new ArgumentException($"group '{key}' has {flat.numel()} elements, destination {destination.numel()}", nameof(destination));
        if (flat.device_type == DeviceType.CPU && destination.device_type == DeviceType.CPU) StoreFiles.CopyCpu(flat, destination);
        else destination.copy_(flat);
    }

    /// <summary>Hints that group <paramref name="key"/> is needed soon: disk groups start reading into the page cache.</summary>
    public void Prefetch(string key)
    {
        var path = Get(key).Path;
        if (path is not null) StoreFiles.WillNeed(path);
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
        public string? Path { get; set; }
    }
}
