using GiantSharp.Config;
using GiantSharp.Errors;
using GiantSharp.Model;
using GiantSharp.Offload;
using GiantSharp.Offload.Planning;
using GiantSharp.Sharing;
using GiantSharp.Tests.Training;
using GiantSharp.Training;
using static TorchSharp.torch;

namespace GiantSharp.Tests.Offload;

/// <summary>
/// offload.max_memory: the planner trains a stage resident when it fits and streams it when it does not, within the
/// budget by its own accounting; a budgeted run gives the numbers of the resident run; impossible budgets and
/// ambiguous keys are refused with one line.
/// </summary>
[Collection(OffloadCollection.Name)]
public class MemoryBudgetTests
{
    /// <summary>A mixture-of-experts shape whose experts are most of its parameters, as in M6-10T.</summary>
    private static readonly ModelConfig Moe = new()
    {
        NLayer = 12, NHead = 2, DModel = 128, DFf = 256, VocabSize = 40, SeqLen = 16,
        Moe = new MoeConfig { NumExperts = 16, NumPrototypes = 2, CapacityFactor = 1.25, AuxLossCoef = 0.01 },
    };

    private static OffloadConfig Budget(long bytes) => new() { MaxMemory = bytes, Dir = "/nonexistent/planning-only" };

    private static MemoryPlan Plan(ModelConfig model, SharingPlan sharing, long budget, PlacementDemand demand = PlacementDemand.Auto) =>
        MemoryPlanner.Plan(model, sharing.LayerMap(model.NLayer), 4, Budget(budget), demand: demand);

    [Fact]
    public void The_pseudo_giant_trains_resident_and_the_real_giant_streams_within_the_same_budget()
    {
        long realResident = Plan(Moe, SharingPlan.None, long.MaxValue / 4).PlannedBytes;
        long pseudoResident = Plan(Moe, SharingPlan.All, long.MaxValue / 4).PlannedBytes;
        long budget = realResident / 2;
        Assert.True(pseudoResident < budget, $"premise: pseudo {pseudoResident} < budget {budget}");

        var pseudo = Plan(Moe, SharingPlan.All, budget);
        Assert.False(pseudo.Streamed);
        var real = Plan(Moe, SharingPlan.None, budget);
        Assert.True(real.Streamed);
        Assert.InRange(real.PlannedBytes, 1, budget);
        Assert.Equal(real.StateBytes + real.StagingBytes + real.ActivationBytes + real.WorkspaceBytes, real.PlannedBytes);
        Assert.Equal(OffloadTensors.Experts, real.Config!.Tensors);           // M6-10T offloads the experts first
        Assert.Contains(real.Config.Placement!, t => t is { Params: Tier.Disk });
        Assert.True(real.Footprint!.Disk.Total > 0);
        // Deterministic: the same inputs give the same plan (a resumed run re-plans).
        Assert.Equal(real.Config.Summary(), Plan(Moe, SharingPlan.None, budget).Config!.Summary());
    }

    [Fact]
    public void A_larger_budget_keeps_more_in_memory()
    {
        long realResident = Plan(Moe, SharingPlan.None, long.MaxValue / 4).PlannedBytes;
        var tight = Plan(Moe, SharingPlan.None, realResident / 3);
        var roomy = Plan(Moe, SharingPlan.None, realResident * 9 / 10);
        Assert.True(roomy.Footprint!.Disk.Total < tight.Footprint!.Disk.Total, $"{roomy.Footprint.Disk.Total} vs {tight.Footprint.Disk.Total}");
        Assert.True(roomy.PlannedBytes > tight.PlannedBytes);
        Assert.False(Plan(Moe, SharingPlan.None, realResident).Streamed);   // exactly enough: resident
    }

    [Fact]
    public void A_budget_below_the_smallest_plan_is_refused_naming_the_budget_and_the_minimum()
    {
        var e = Assert.Throws<ConfigException>(() => Plan(Moe, SharingPlan.None, 64 << 10));
        Assert.Equal("offload.max_memory", e.Key);
        Assert.Contains("64KiB cannot hold even one streamed layer", e.Message);
        var named = System.Text.RegularExpressions.Regex.Match(e.Message, @"the smallest plan needs ([0-9.]+) ([KMG]iB) \(state");
        Assert.True(named.Success, e.Message);
        Assert.DoesNotContain('\n', e.Message);
        // The minimum it names (to two decimals) is enough, and a little less is not.
        var minimum = ByteSize.TryParse(named.Groups[1].Value + named.Groups[2].Value)!.Value;
        Assert.True(Plan(Moe, SharingPlan.None, minimum + (16 << 10)).Streamed);
        Assert.Throws<ConfigException>(() => Plan(Moe, SharingPlan.None, minimum - (16 << 10)));
    }

    [Fact]
    public void Without_offload_dir_a_budget_that_needs_the_disk_tier_names_offload_dir()
    {
        long realResident = Plan(Moe, SharingPlan.None, long.MaxValue / 4).PlannedBytes;
        var e = Assert.Throws<ConfigException>(() =>
            MemoryPlanner.Plan(Moe, SharingPlan.None.LayerMap(Moe.NLayer), 4, new OffloadConfig { MaxMemory = realResident / 2 }));
        Assert.Equal("offload.dir", e.Key);
    }

    [Fact]
    public void Max_memory_with_a_key_the_planner_decides_is_refused_and_a_missing_dir_defaults_under_the_run()
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse("""{ "out_dir": "runs/x", "data": { "dir": "d" }, "offload": { "max_memory": "1GiB", "params": "disk" } }""")!.AsObject();
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.FromNode(node));
        Assert.Equal("offload.params", e.Key);
        var ok = ConfigLoader.FromNode(System.Text.Json.Nodes.JsonNode.Parse("""{ "out_dir": "runs/x", "data": { "dir": "d" } }""")!.AsObject(), ["offload.max_memory=512MiB"]);
        Assert.Equal(512L << 20, ok.Offload!.MaxMemory);
        Assert.Equal(Path.Combine("runs/x", "offload"), ok.Offload.Dir);
        var bad = Assert.Throws<ConfigException>(() => ConfigLoader.FromNode(System.Text.Json.Nodes.JsonNode.Parse("""{ "data": { "dir": "d" } }""")!.AsObject(), ["offload.max_memory=lots"]));
        Assert.Equal("offload.max_memory", bad.Key);
        Assert.Contains("1GiB", bad.Message);
    }

    [Theory]
    [InlineData("1GiB", 1L << 30)]
    [InlineData("512 MiB", 512L << 20)]
    [InlineData("1.5GB", 1_500_000_000L)]
    [InlineData("800mb", 800_000_000L)]
    [InlineData("1073741824", 1L << 30)]
    [InlineData("2KiB", 2048L)]
    public void Sizes_parse_as_users_write_them(string text, long bytes) => Assert.Equal(bytes, ByteSize.TryParse(text));

    [Theory]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("-1GiB")]
    [InlineData("1.5")]
    [InlineData("12 parsecs")]
    [InlineData("1e400")]
    [InlineData("99999999999TiB")]
    public void Non_sizes_are_refused(string text) => Assert.Null(ByteSize.TryParse(text));

    [Fact]
    public void A_streamed_first_stage_is_built_into_the_store_with_the_values_of_an_in_memory_build()
    {
        using var scope = NewDisposeScope();
        using var dir = new Data.TempDir();
        var model = OffloadFixtures.NewModel().Config;
        var offload = new OffloadConfig { Params = Tier.Disk, Grads = Tier.Disk, Optimizer = Tier.Disk, Layers = LayerSelection.Last(3), Dir = dir.Path };
        var map = SharingPlan.None.LayerMap(model.NLayer);
        manual_seed(42);
        using var reference = new GptModel(model, map);
        manual_seed(42);
        using var session = OffloadSession.Build(model, map, offload, CPU);
        Assert.Equal(3, session.Plan.Managed.Count(p => p.Streamed));
        Assert.All(session.Model.Layers.UniqueBlocks.Skip(1), b => Assert.All(b.parameters(), p => Assert.Equal(0, p.numel())));
        using var optimizer = OffloadFixtures.Optimizer();
        session.Detach(optimizer);
        Assert.Equal(0.0, OffloadFixtures.MaxRelativeDiff(session.Model, reference));
        Assert.All(optimizer.State.Values, st => Assert.Equal(0, st.Step));
        session.Model.Dispose();
    }

    [Fact]
    public void A_budgeted_run_equals_the_resident_run()
    {
        using var corpus = new TinyCorpus();
        using var data = corpus.Open();
        var resident = corpus.Run(4, 6, "res") with { Model = corpus.Run().Model with { Dropout = 0.1 } };
        resident = resident with { Eval = resident.Eval with { Every = 3 } };
        var model = resident.Model with { VocabSize = data.Tokenizer.VocabSize };
        long realResident = MemoryPlanner.Plan(model, SharingPlan.None.LayerMap(model.NLayer), 4, Budget(long.MaxValue / 4)).PlannedBytes;
        long pseudoResident = MemoryPlanner.Plan(model, SharingPlan.All.LayerMap(model.NLayer), 4, Budget(long.MaxValue / 4)).PlannedBytes;
        long budget = realResident - 1;                                      // one byte short: the Real Giant must stream
        Assert.True(pseudoResident < budget);
        var budgeted = resident with
        {
            Name = "budget", OutDir = Path.Combine(corpus.Root, "runs", "budget"),
            Offload = new OffloadConfig { MaxMemory = budget, Dir = Path.Combine(corpus.Root, "nvme") },
        };

        var (a, b) = (new RecordingObserver(), new NoticeObserver());
        using var reference = new Trainer(resident, data, [a]);
        reference.Run();
        using var trainer = new Trainer(budgeted, data, [b]);
        trainer.Run();

        Assert.StartsWith("stage pseudo: resident", b.Notices[0]);
        Assert.StartsWith("stage real: streamed", b.Notices[1]);
        Assert.Equal(a.Steps.Select(s => s.Loss), b.Steps.Select(s => s.Loss), (x, y) => Math.Abs(x - y) <= 1e-5);
        Assert.Equal(a.Evals.Select(e => e.ValLoss), b.Evals.Select(e => e.ValLoss), (x, y) => Math.Abs(x - y) <= 1e-5);
        trainer.BringBackOffloaded();
        Assert.True(OffloadFixtures.MaxRelativeDiff(trainer.Model, reference.Model) <= 1e-5);
    }

    [Fact]
    public void Where_the_drive_refuses_direct_io_the_run_goes_on_buffered_and_says_so_naming_the_folder()
    {
        using var corpus = new TinyCorpus();
        using var data = corpus.Open();
        var run = corpus.Run(2, 2, "buffered") with
        {
            Stages = [corpus.Run().Stages[0] with { Steps = 2, Offload = false }, corpus.Run().Stages[1] with { Steps = 2 }],
            Offload = new OffloadConfig { Params = Tier.Disk, Grads = Tier.Disk, Optimizer = Tier.Disk, Dir = Path.Combine(corpus.Root, "tmpfs-like") },
        };
        var seen = new NoticeObserver();
        GiantSharp.Offload.Storage.DirectFile.SimulateRefusal = true;
        try
        {
            using var trainer = new Trainer(run, data, [seen]);
            trainer.Run();
        }
        finally
        {
            GiantSharp.Offload.Storage.DirectFile.SimulateRefusal = false;
        }
        Assert.Equal(4, seen.Steps.Count);
        var warning = Assert.Single(seen.Notices, n => n.StartsWith("warning:"));
        Assert.Contains(Path.Combine(corpus.Root, "tmpfs-like"), warning);
        Assert.Contains("refuses direct I/O", warning);
    }

    private sealed class NoticeObserver : ITrainingObserver
    {
        public List<string> Notices { get; } = new();
        public List<StepLog> Steps { get; } = new();
        public List<EvalLog> Evals { get; } = new();
        public void OnNotice(string text) => Notices.Add(text);
        public void OnStep(StepLog log) => Steps.Add(log);
        public void OnEval(EvalLog log) => Evals.Add(log);
    }
}
