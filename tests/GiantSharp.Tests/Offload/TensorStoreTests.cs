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
        var moments = Layout.Moments();                                    // exp_avg_sq starts on the next 4096-byte boundary
        Assert.Equal(1024 + 17, moments.Numel);
        Assert.Equal("exp_avg_sq.w", moments.Entries[3].Name);
        Assert.Equal(new long[] { 0, 12, 16, 1024, 1036, 1040 }, moments.Entries.Select(e => e.Offset));
        Assert.False(moments.IsContiguous);
        Assert.True(Layout.IsContiguous);
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
            Assert.Equal(4096, new FileInfo(store.PathOf("g2")!).Length);    // padded to the direct-I/O alignment
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
            var flat = empty(Layout.Numel);
            loaded.ReadInto($"g{i}", flat);
            Assert.True(flat.equal(Values(i)).all().item<bool>(), $"g{i}");
        }
        Assert.Equal(42, (int)TensorStore.ReadMetadata(dir.Sub("snap"))["answer"]!);
    }

    [Fact]
    public void Write_reports_squared_norms_and_ranges_round_trip_bit_exactly_on_every_tier()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        using var store = new TensorStore(CPU, dir.Path);
        var big = new TensorLayout([("a", [3000]), ("b", [5, 1001])]);    // 8005 elements: ranges cross 4096-byte units
        var values = randn(big.Numel, generator: new Generator().manual_seed(5));
        foreach (var tier in new[] { Tier.Device, Tier.Host, Tier.Disk })
        {
            var key = tier.ToString();
            store.Allocate(key, tier, big);
            var squares = new double[2];
            store.Write(key, big.Entries.Select((_, i) => big.View(values, i)).ToArray(), squares);
            Assert.Equal(values.narrow(0, 0, 3000).to(ScalarType.Float64).square().sum().item<double>(), squares[0], 9);
            var back = empty(big.Numel);
            store.ReadInto(key, back);
            Assert.True(back.equal(values).all().item<bool>(), key);
            foreach (var (start, n) in new[] { (0L, 1024L), (1024L, 2048L), (1L, 7L), (1000L, 5000L), (4095L, 3910L) })
            {
                var part = empty(n);
                store.ReadRange(key, start, part);
                Assert.True(part.equal(values.narrow(0, start, n)).all().item<bool>(), $"{key} read [{start}, {start + n})");
                var fresh = randn(n, generator: new Generator().manual_seed(start));
                store.WriteRange(key, start, fresh);                        // unaligned writes keep their neighbours
                values.narrow(0, start, n).copy_(fresh);
                store.ReadInto(key, back);
                Assert.True(back.equal(values).all().item<bool>(), $"{key} after writing [{start}, {start + n})");
            }
            Assert.Equal(8192, store.PaddedNumel(key));
            Assert.Throws<ArgumentOutOfRangeException>(() => store.ReadRange(key, 8000, empty(200)));
        }
        Assert.True(store.DirectIo);                                        // this file system takes O_DIRECT
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
    public void A_disk_file_deleted_mid_run_keeps_serving_because_the_store_holds_it_open()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        using var store = new TensorStore(CPU, dir.Path);
        store.Allocate("g", Tier.Disk, Layout);
        store.WriteRange("g", 0, Values(4));
        File.Delete(store.PathOf("g")!);
        var back = empty(Layout.Numel);
        store.ReadInto("g", back);
        Assert.True(back.equal(Values(4)).all().item<bool>());
    }

    [Fact]
    public void A_full_disk_while_writing_is_a_data_error_naming_the_file()
    {
        if (!File.Exists("/dev/full")) return;                             // Linux: every write fails with ENOSPC
        using var file = DirectFile.Open("/dev/full");
        var e = Assert.Throws<DataException>(() => file.Write(0, new byte[4096]));
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
