using System.Text.Json.Nodes;
using GiantSharp.Errors;
using GiantSharp.Offload;
using GiantSharp.Tests.Data;
using GiantSharp.Offload.Storage;
using static GiantSharp.Tests.Offload.OffloadFixtures;
using static TorchSharp.torch;

namespace GiantSharp.Tests.Offload;

public class TensorStoreTests
{
    private static readonly TensorLayout Layout = new([("w", [3, 4]), ("b", [4]), ("s", [])]);

    private static Tensor Values(int seed) => randn(Layout.Numel, generator: new Generator().manual_seed(seed));

    [Fact]
    public void Layout_packs_tensors_back_to_back_and_views_them_in_place()
    {
        Assert.Equal(17, Layout.Numel);
        Assert.Equal(new long[] { 0, 12, 16 }, Layout.Entries.Select(e => e.Offset));
        using var flat = arange(17, dtype: ScalarType.Float32);
        using var b = Layout.View(flat, 1);
        Assert.Equal(new long[] { 4 }, b.shape);
        b.fill_(-1f);
        Assert.Equal(-4f, flat.narrow(0, 12, 4).sum().item<float>());
        Assert.Equal(34, Layout.Moments().Numel);
        Assert.Equal("exp_avg_sq.w", Layout.Moments().Entries[3].Name);
    }

    [Fact]
    public void Groups_on_every_tier_round_trip_through_save_and_load()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        var metadata = new JsonObject { ["answer"] = 42 };
        using (var store = new TensorStore(CPU, dir.Sub("live")))
        {
            foreach (var (tier, i) in new[] { (Tier.Device, 0), (Tier.Host, 1), (Tier.Disk, 2) })
            {
                store.Allocate($"g{i}", tier, Layout);
                store.Write($"g{i}", Layout.Entries.Select((e, k) => Layout.View(Values(i), k)).ToArray());
            }
            Assert.Equal(4 * Layout.Numel, store.BytesOn(Tier.Disk));
            Assert.Equal(4 * Layout.Numel, new FileInfo(store.PathOf("g2")!).Length);
            store.Save(dir.Sub("snap"), metadata);
            store.Save(dir.Sub("snap"), metadata);                          // replaces the older snapshot atomically
        }
        Assert.Empty(Directory.GetFiles(dir.Sub("live")));                 // disposing the store deleted its files
        Assert.Single(Directory.GetDirectories(dir.Path, "snap*"));
        using var loaded = TensorStore.Load(dir.Sub("snap"), CPU, dir.Sub("again"));
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal((Tier)i, loaded.TierOf($"g{i}"));
            Assert.True(loaded.LayoutOf($"g{i}").SameAs(Layout));
            using var flat = loaded.Open($"g{i}");
            Assert.True(flat.equal(Values(i)).all().item<bool>(), $"g{i}");
        }
        Assert.Equal(42, (int)TensorStore.ReadMetadata(dir.Sub("snap"))["answer"]!);
    }

    [Fact]
    public void Accumulate_adds_in_place_and_reports_squared_norms()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        using var store = new TensorStore(CPU, dir.Path);
        store.Allocate("g", Tier.Disk, Layout);
        var unit = Layout.Entries.Select(e => ones(e.Shape)).ToArray();
        store.Accumulate("g", unit, overwrite: true);
        var squares = new double[3];
        store.Accumulate("g", unit, overwrite: false, squares);
        Assert.Equal(new[] { 48.0, 16.0, 4.0 }, squares);
        var dest = empty(Layout.Numel);
        store.ReadInto("g", dest);
        Assert.Equal(34f, dest.sum().item<float>());
    }

    [Fact]
    public void An_unwritable_offload_directory_is_a_data_error_naming_it()
    {
        using var dir = new TempDir();
        var file = dir.Sub("a-file");
        File.WriteAllText(file, "not a directory");
        var bad = Path.Combine(file, "offload");
        var e = Assert.Throws<DataException>(() => new TensorStore(CPU, bad));
        Assert.Equal(bad, e.Path);
        Assert.Contains("not a writable directory", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void A_disk_file_vanishing_mid_run_is_a_data_error_naming_the_file()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        using var store = new TensorStore(CPU, dir.Path);
        store.Allocate("g", Tier.Disk, Layout);
        File.Delete(store.PathOf("g")!);
        var e = Assert.Throws<DataException>(() => store.ReadInto("g", empty(Layout.Numel)));
        Assert.Equal(store.PathOf("g"), e.Path);
    }

    [Fact]
    public void A_full_disk_while_writing_is_a_data_error_naming_the_file()
    {
        if (!File.Exists("/dev/full")) return;                             // Linux: every write fails with ENOSPC
        using var values = Values(3);
        var e = Assert.Throws<DataException>(() => StoreFiles.WriteRaw("/dev/full", values));
        Assert.Equal("/dev/full", e.Path);
        Assert.Contains("No space left on device", e.Message);
    }

    [Fact]
    public void Loading_a_folder_without_a_store_names_the_folder()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<DataException>(() => TensorStore.Load(dir.Sub("nothing"), CPU, null));
        Assert.Equal(dir.Sub("nothing"), e.Path);
    }
}
