using GiantSharp.Checkpointing;
using GiantSharp.Config;
using GiantSharp.Errors;
using GiantSharp.Offload;
using GiantSharp.Tests.Training;
using GiantSharp.Training;
using static TorchSharp.torch;

namespace GiantSharp.Tests.Offload;

/// <summary>
/// The trainer with an <c>offload</c> section: the paper's situation (Pseudo Giant resident, Real Giant streamed)
/// gives the numbers of the all-resident run, and an offloaded run checkpoints and resumes exactly.
/// </summary>
[Collection(OffloadCollection.Name)]
public class OffloadedTrainerTests
{
    /// <summary>The tiny Pseudo-to-Real run with dropout and accumulation, the pseudo stage resident and the real one offloaded.</summary>
    private static RunConfig Offloaded(TinyCorpus corpus, string name, Tier tier, int pseudoSteps = 4, int realSteps = 6)
    {
        var run = corpus.Run(pseudoSteps, realSteps, name);
        return run with
        {
            Model = run.Model with { Dropout = 0.1 },
            Stages = [run.Stages[0] with { Offload = false }, run.Stages[1]],
            Offload = new OffloadConfig { Params = tier, Grads = tier, Optimizer = tier, Prefetch = 1, Dir = tier == Tier.Disk ? Path.Combine(corpus.Root, "nvme") : null },
            Eval = run.Eval with { Every = 3 },
        };
    }

    /// <summary>The same run with every stage resident.</summary>
    private static RunConfig Resident(RunConfig offloaded, TinyCorpus corpus) => offloaded with
    {
        Name = offloaded.Name + "-res", OutDir = Path.Combine(corpus.Root, "runs", offloaded.Name + "-res"),
        Offload = null, Stages = offloaded.Stages.Select(s => s with { Offload = null }).ToList(),
    };

    [Theory]
    [InlineData(Tier.Host)]
    [InlineData(Tier.Disk)]
    public void Real_giant_offloaded_after_a_resident_pseudo_giant_equals_the_resident_run(Tier tier)
    {
        using var corpus = new TinyCorpus();
        using var data = corpus.Open();
        var offloaded = Offloaded(corpus, "off", tier);
        var (a, b) = (new RecordingObserver(), new RecordingObserver());
        using var reference = new Trainer(Resident(offloaded, corpus), data, [a]);
        reference.Run();
        using var trainer = new Trainer(offloaded, data, [b]);
        trainer.Run();

        Assert.Equal(a.Steps.Select(s => s.Loss), b.Steps.Select(s => s.Loss), (x, y) => Math.Abs(x - y) <= 1e-5);
        Assert.Equal(a.Evals.Select(e => e.ValLoss), b.Evals.Select(e => e.ValLoss), (x, y) => Math.Abs(x - y) <= 1e-5);
        Assert.All(trainer.Model.Layers.UniqueBlocks, blk => Assert.All(blk.parameters(), p => Assert.Equal(0, p.numel())));
        trainer.BringBackOffloaded();
        Assert.True(OffloadFixtures.MaxRelativeDiff(trainer.Model, reference.Model) <= 1e-5);
        Assert.Equal(reference.Optimizer.State.Keys.Order(), trainer.Optimizer.State.Keys.Order());
    }

    [Fact]
    public void Moe_real_giant_with_experts_on_disk_equals_the_resident_run()
    {
        using var corpus = new TinyCorpus();
        using var data = corpus.Open();
        var moe = new GiantSharp.Model.MoeConfig { NumExperts = 4, NumPrototypes = 2, CapacityFactor = 1.25, AuxLossCoef = 0.01, RouterZLossCoef = 0.001, MoeEvery = 1 };
        var offloaded = Offloaded(corpus, "moe-off", Tier.Disk);
        offloaded = offloaded with { Model = offloaded.Model with { Moe = moe }, Offload = offloaded.Offload! with { Tensors = OffloadTensors.Experts } };
        var (a, b) = (new RecordingObserver(), new RecordingObserver());
        using var reference = new Trainer(Resident(offloaded, corpus).Validate(), data, [a]);
        reference.Run();
        using var trainer = new Trainer(offloaded.Validate(), data, [b]);
        trainer.Run();

        Assert.Equal(a.Steps.Select(s => s.Loss), b.Steps.Select(s => s.Loss), (x, y) => Math.Abs(x - y) <= 1e-5);
        Assert.Equal(a.Steps.Select(s => s.AuxLoss), b.Steps.Select(s => s.AuxLoss), (x, y) => Math.Abs(x - y) <= 1e-5);
        var hollow = trainer.Model.named_parameters().Where(p => p.parameter.numel() == 0).Select(p => p.name).ToList();
        Assert.NotEmpty(hollow);
        Assert.All(hollow, name => Assert.Contains(".experts.", name));
        trainer.BringBackOffloaded();
        Assert.True(OffloadFixtures.MaxRelativeDiff(trainer.Model, reference.Model) <= 1e-5);
    }

    [Fact]
    public void Offloaded_run_resumes_from_its_checkpoint_as_if_uninterrupted()
    {
        using var corpus = new TinyCorpus();
        using var data = corpus.Open();
        var config = Offloaded(corpus, "whole", Tier.Disk);
        RunChecks.AssertResumeEqualsUninterrupted(config, data, stopAt: 8, ckpt =>
        {
            var (state, saved) = CheckpointStore.ReadState(ckpt);
            Assert.NotEmpty(state.Offloaded);
            Assert.True(Directory.Exists(Path.Combine(ckpt, CheckpointStore.OffloadPart)));
            Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(corpus.Root, "nvme")));   // the stopped run removed its store
            using var built = OffloadedCheckpoint.LoadModel(ckpt, saved, state, saved.Offload);  // the resume build: never whole
            Assert.Equal(state.Offloaded.Order(), built.named_parameters().Where(p => p.parameter.numel() == 0).Select(p => p.name).Order());
        });
    }

    [Fact]
    public void Run_stopped_in_its_resident_pseudo_stage_resumes_into_the_offloaded_real_stage_exactly()
    {
        using var corpus = new TinyCorpus();
        using var data = corpus.Open();
        RunChecks.AssertResumeEqualsUninterrupted(Offloaded(corpus, "early", Tier.Disk), data, stopAt: 4, ckpt =>
            Assert.False(Directory.Exists(Path.Combine(ckpt, CheckpointStore.OffloadPart))));   // taken before anything was offloaded
    }

    [Fact]
    public void Moe_run_with_experts_offloaded_resumes_as_if_uninterrupted()
    {
        using var corpus = new TinyCorpus();
        using var data = corpus.Open();
        var moe = new GiantSharp.Model.MoeConfig { NumExperts = 4, NumPrototypes = 2, CapacityFactor = 1.25, AuxLossCoef = 0.01, MoeEvery = 2 };
        var run = Offloaded(corpus, "moe-whole", Tier.Disk);
        var config = run with
        {
            Model = run.Model with { Moe = moe },
            Stages = [run.Stages[0] with { Sharing = GiantSharp.Sharing.SharingPlan.Group(2, "cycle") }, run.Stages[1]],   // one dense and one MoE block shared
            Offload = run.Offload! with { Tensors = OffloadTensors.Experts },
        };
        RunChecks.AssertResumeEqualsUninterrupted(config.Validate(), data, stopAt: 8);
    }

    [Fact]
    public void Checkpoint_of_an_offloaded_stage_reads_back_whole()
    {
        using var corpus = new TinyCorpus();
        using var data = corpus.Open();
        var config = Offloaded(corpus, "ckpt", Tier.Disk);
        using var trainer = new Trainer(config, data);
        trainer.Run();
        trainer.BringBackOffloaded();

        using var loaded = LoadedCheckpoint.Open(config.OutDir);
        Assert.Equal(0.0, OffloadFixtures.MaxRelativeDiff(loaded.Model, trainer.Model));
        using var optimizer = loaded.LoadOptimizer();
        Assert.Equal(trainer.Optimizer.State.Keys.Order(), optimizer.State.Keys.Order());
        using var scope = NewDisposeScope();
        foreach (var (name, st) in trainer.Optimizer.State)
        {
            Assert.True(st.ExpAvgSq.allclose(optimizer.State[name].ExpAvgSq, rtol: 0, atol: 0), name);
            Assert.Equal(st.Step, optimizer.State[name].Step);
        }
    }

    [Fact]
    public void Failed_offload_part_leaves_the_last_checkpoint_intact()
    {
        using var corpus = new TinyCorpus();
        using var data = corpus.Open();
        var config = Offloaded(corpus, "full", Tier.Host);
        using var trainer = new Trainer(config, data);
        trainer.Run();
        var store = new CheckpointStore(Path.Combine(config.OutDir, "checkpoints"));
        var before = store.Latest()!;
        var folders = Directory.GetDirectories(store.Root).Order().ToArray();  // the final checkpoint and the pseudo stage's end
        var state = trainer.State with { GlobalStep = 99, Offloaded = ["h.0.mlp.c_fc.weight"] };
        var e = Assert.Throws<DataException>(() => store.Save(trainer.Model, trainer.Optimizer, state, 2,
            _ => throw new DataException("/nvme/part", "No space left on device")));
        Assert.Contains("last good checkpoint kept", e.Message);
        Assert.Equal(before, store.Latest());
        Assert.Equal(folders, Directory.GetDirectories(store.Root).Order().ToArray());   // no step-99, no temporary folder
        using var loaded = LoadedCheckpoint.Open(before);
        Assert.Equal(config.TotalSteps, loaded.State.GlobalStep);
    }

    [Fact]
    public void Store_folders_of_killed_runs_are_swept_and_live_ones_kept()
    {
        using var corpus = new TinyCorpus();
        using var data = corpus.Open();
        var config = Offloaded(corpus, "sweep", Tier.Disk);
        var nvme = config.Offload!.Dir!;
        string Folder(string name, int? pid)
        {
            var dir = Path.Combine(nvme, $"{name}-{Guid.NewGuid():N}");
            Directory.CreateDirectory(dir);
            File.WriteAllBytes(Path.Combine(dir, "block00001.params.f32"), new byte[64]);
            if (pid is { } p) File.WriteAllText(Path.Combine(dir, "owner.pid"), p.ToString());
            return dir;
        }
        var killed = Folder("sweep", int.MaxValue);                        // no such process
        var live = Folder("sweep", Environment.ProcessId);
        var other = Folder("another-run", int.MaxValue);
        var unowned = Folder("sweep", null);
        using (var trainer = new Trainer(config, data)) trainer.Run();
        Assert.False(Directory.Exists(killed));
        Assert.All(new[] { live, other, unowned }, d => Assert.True(Directory.Exists(d), d));
        Assert.Equal(3, Directory.GetDirectories(nvme).Length);           // and the run's own folder is gone
    }

    [Fact]
    public void No_tensor_leaks_across_offloaded_steps_evals_and_checkpoints()
    {
        using var corpus = new TinyCorpus();
        using var data = corpus.Open();
        var config = Offloaded(corpus, "leak", Tier.Disk, pseudoSteps: 20, realSteps: 100) with
        {
            Eval = new EvalConfig { Every = 20, Sequences = 4 },
            Checkpoint = new CheckpointConfig { Every = 25, Keep = 1 },
        };
        var probe = new LiveTensorProbe();
        using var trainer = new Trainer(config, data, [probe]);
        trainer.Run();
        Assert.Equal(probe.At[30], probe.At[110]);                        // the Real Giant's streamed steps, past its first evals and saves
    }

    [Fact]
    public void Checkpoint_missing_its_offload_part_is_refused_not_read_with_initial_weights()
    {
        using var corpus = new TinyCorpus();
        using var data = corpus.Open();
        var config = Offloaded(corpus, "nopart", Tier.Host);
        using (var trainer = new Trainer(config, data)) trainer.Run();
        var ckpt = new CheckpointStore(Path.Combine(config.OutDir, "checkpoints")).Latest()!;
        Directory.Delete(Path.Combine(ckpt, CheckpointStore.OffloadPart), recursive: true);

        var e = Assert.Throws<DataException>(() => LoadedCheckpoint.Open(ckpt));
        Assert.Contains("offload", e.Message);
        Assert.Throws<DataException>(() => new Trainer(config, data, resumeFrom: ckpt));
    }

    [Fact]
    public void Bad_offload_dir_fails_before_the_resident_pseudo_stage_trains()
    {
        using var corpus = new TinyCorpus();
        using var data = corpus.Open();
        var file = Path.Combine(corpus.Root, "a-file");
        File.WriteAllText(file, "x");
        var config = Offloaded(corpus, "baddir", Tier.Disk);
        var e = Assert.Throws<DataException>(() => new Trainer(config with { Offload = config.Offload! with { Dir = file } }, data));
        Assert.Contains("a-file", e.Message);
        Assert.Contains("not a directory", e.Message);
    }

    [Fact]
    public void Stage_that_asks_for_offload_without_an_offload_section_is_refused()
    {
        using var corpus = new TinyCorpus();
        var run = corpus.Run();
        var bad = run with { Stages = [run.Stages[0], run.Stages[1] with { Offload = true }] };
        var e = Assert.Throws<ConfigException>(() => bad.Validate());
        Assert.Equal("stages[1].offload", e.Key);
    }
}
