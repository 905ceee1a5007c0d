using System.Text.RegularExpressions;
using GiantSharp.Errors;
using GiantSharp.Offload;
using GiantSharp.Tests.Data;
using static GiantSharp.Tests.Offload.OffloadFixtures;
using static TorchSharp.torch;

namespace GiantSharp.Tests.Offload;

[Collection(OffloadCollection.Name)]
public class OffloadSessionTests
{
    private static OffloadConfig Disk(string dir) => new() { Params = Tier.Disk, Grads = Tier.Host, Optimizer = Tier.Disk, Prefetch = 2, Dir = dir };

    [Fact]
    public void Attach_hollows_offloaded_blocks_and_detach_restores_them()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        using var model = NewModel();
        using var twin = NewModel();
        using var opt = Optimizer();
        var session = OffloadSession.Attach(model, opt, Disk(dir.Path) with { Layers = LayerSelection.Of(0, 2) });
        Assert.All(model.Layers.LayerBlock(0).parameters(), p => Assert.Equal(0, p.numel()));
        Assert.All(model.Layers.LayerBlock(1).parameters(), p => Assert.NotEqual(0, p.numel()));
        Assert.Equal(2, Directory.GetFiles(dir.Path, "*.params.f32").Length);
        Assert.Throws<ArgumentException>(() => OffloadSession.Attach(model, opt, Disk(dir.Sub("again"))));
        session.Detach(opt);
        Assert.Empty(Directory.GetFiles(dir.Path));
        Assert.Equal(0.0, MaxRelativeDiff(model, twin));
    }

    [Fact]
    public void A_resumed_offloaded_run_equals_an_uninterrupted_one() => AssertResumeEqualsUninterrupted(null, Disk, 20);

    [Fact]
    public void Loading_a_store_saved_for_other_layers_is_refused()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        using var model = NewModel();
        using var opt = Optimizer();
        using (var s = OffloadSession.Attach(model, opt, Disk(dir.Sub("a")) with { Layers = LayerSelection.Last(2) }))
            s.Save(dir.Sub("checkpoint"));
        using var fresh = NewModel();
        var e = Assert.Throws<DataException>(() => OffloadSession.Load(dir.Sub("checkpoint"), fresh, Disk(dir.Sub("b"))));
        Assert.Contains("block00000", e.Message);
    }

    [Fact]
    public void Preflight_refuses_a_plan_larger_than_memory_naming_tier_and_bytes()
    {
        using var scope = NewDisposeScope();
        using var model = NewModel();
        using var opt = Optimizer();
        var tiny = new MachineResources(MemoryAvailableBytes: 100_000, DiskFreeBytes: long.MaxValue, DiskPath: null);
        var e = Assert.Throws<ConfigException>(() => OffloadSession.Attach(model, opt, new OffloadConfig(), tiny));
        Assert.Equal("offload", e.Key);
        Assert.Contains("device + host tiers (CPU memory) need", e.Message);
        Assert.Contains("but only 97.66 KiB is available (MemAvailable)", e.Message);
        Assert.All(model.parameters(), p => Assert.NotEqual(0, p.numel()));    // refused before anything moved
    }

    [Fact]
    public void Preflight_refuses_a_disk_tier_larger_than_the_free_space()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        using var model = NewModel();
        using var opt = Optimizer();
        var offloadDir = dir.Sub("offload");
        var noDisk = new MachineResources(long.MaxValue, DiskFreeBytes: 4096, DiskPath: offloadDir);
        var e = Assert.Throws<ConfigException>(() => OffloadSession.Attach(model, opt, Disk(offloadDir), noDisk));
        Assert.Equal("offload.dir", e.Key);
        Assert.Matches($@"the disk tier needs \d+\.\d\d KiB but {Regex.Escape(offloadDir)} has only 4\.00 KiB free", e.Message);
        Assert.False(Directory.Exists(offloadDir));                            // refused before anything was written
    }

    [Fact]
    public void An_unwritable_directory_is_reported_and_leaves_the_model_whole()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        File.WriteAllText(dir.Sub("file"), "");
        using var model = NewModel();
        using var opt = Optimizer();
        var bad = Path.Combine(dir.Sub("file"), "offload");
        var e = Assert.Throws<DataException>(() => OffloadSession.Attach(model, opt, Disk(bad)));
        Assert.Equal(bad, e.Path);
        Assert.All(model.parameters(), p => Assert.NotEqual(0, p.numel()));
    }

    [Fact]
    public void A_store_file_deleted_mid_run_does_not_stop_the_run_because_the_store_holds_it_open()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        using var model = NewModel();
        using var opt = Optimizer();
        using var session = OffloadSession.Attach(model, opt, Disk(dir.Path));
        using var step = new LayerStreamedTrainStep(session);
        Train(model, opt, step, 0, 1);
        File.Delete(session.Store.PathOf(OffloadSession.ParamsKey(2))!);
        var after = Train(model, opt, step, 1, 2);
        Assert.True(double.IsFinite(after[0].Loss));
    }
}
