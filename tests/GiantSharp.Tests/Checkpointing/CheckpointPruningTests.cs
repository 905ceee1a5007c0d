using GiantSharp.Checkpointing;
using GiantSharp.Training;

namespace GiantSharp.Tests.Checkpointing;

/// <summary>Pruning never removes what <c>latest</c> names or anything newer; kills mid-save or mid-prune leave nothing a resume could pick.</summary>
public class CheckpointPruningTests
{
    private static (TinyCorpus Corpus, Trainer Trainer, CheckpointStore Store) Trained()
    {
        var corpus = new TinyCorpus();
        var config = corpus.Run(pseudoSteps: 1, realSteps: 1) with { Checkpoint = new GiantSharp.Config.CheckpointConfig { Every = 0, Final = false } };   // the tests save
        var trainer = new Trainer(config, corpus.Open());
        trainer.Run();
        return (corpus, trainer, new CheckpointStore(Path.Combine(config.OutDir, "checkpoints")));
    }

    [Fact]
    public void Pruning_keeps_latest_and_everything_newer_and_the_newest_older_ones()
    {
        var (corpus, trainer, store) = Trained();
        using var _ = corpus;
        using var __ = trainer;
        foreach (var step in new[] { 3, 4, 9 }) store.Save(trainer.Model, trainer.Optimizer, trainer.State with { GlobalStep = step }, keep: 10);
        File.WriteAllText(Path.Combine(store.Root, CheckpointStore.LatestFileName), "step-00000004");   // latest names an older one (e.g. a rewound run)
        store.Save(trainer.Model, trainer.Optimizer, trainer.State with { GlobalStep = 5 }, keep: 2);
        var left = Directory.GetDirectories(store.Root, "step-*").Select(Path.GetFileName).Order().ToArray();
        Assert.Equal(["step-00000004", "step-00000005", "step-00000009"], left);  // keep 2 up to latest (5): 4 and 5; 9 is newer: kept
        Assert.EndsWith("step-00000005", store.Latest());
    }

    /// <summary>The Pseudo Giant's last checkpoint (before delinking) and the final one outlive keep-last pruning.</summary>
    [Fact]
    public void Stage_end_checkpoints_are_never_pruned()
    {
        using var corpus = new TinyCorpus();
        var config = corpus.Run(pseudoSteps: 3, realSteps: 3) with { Checkpoint = new GiantSharp.Config.CheckpointConfig { Every = 1, Keep = 1 } };
        using (var data = corpus.Open())
        using (var trainer = new Trainer(config, data)) trainer.Run();
        var store = new CheckpointStore(Path.Combine(config.OutDir, "checkpoints"));
        Assert.Equal(["step-00000003", "step-00000006"], Directory.GetDirectories(store.Root, "step-*").Select(Path.GetFileName).Order().ToArray());
        var (pseudo, _) = CheckpointStore.ReadState(Path.Combine(store.Root, "step-00000003"));
        Assert.Equal("pseudo", pseudo.EndOfStage);
        Assert.Equal([0, 0, 0, 0], pseudo.LayerToBlock);                      // the shared model, before the switch delinked it
        Assert.Equal("real", CheckpointStore.ReadState(Path.Combine(store.Root, "step-00000006")).State.EndOfStage);

        using var again = corpus.Open();                                      // more saves with keep 1 still leave them
        using var t = new Trainer(config, again, resumeFrom: config.OutDir);
        foreach (var step in new[] { 7, 8 }) store.Save(t.Model, t.Optimizer, t.State with { GlobalStep = step, EndOfStage = null }, keep: 1);
        Assert.Equal(["step-00000003", "step-00000006", "step-00000008"], Directory.GetDirectories(store.Root, "step-*").Select(Path.GetFileName).Order().ToArray());
    }

    [Fact]
    public void A_kill_while_pruning_leaves_no_half_checkpoint_and_the_next_save_sweeps_it()
    {
        var (corpus, trainer, store) = Trained();
        using var _ = corpus;
        using var __ = trainer;
        foreach (var step in new[] { 1, 2 }) store.Save(trainer.Model, trainer.Optimizer, trainer.State with { GlobalStep = step }, keep: 10);
        store.BeforeTrashDelete = trash =>
        {
            File.Delete(Path.Combine(trash, "state.json"));                  // deleting had begun when the process died
            throw new OperationCanceledException("killed");
        };
        Assert.Throws<OperationCanceledException>(() => store.Save(trainer.Model, trainer.Optimizer, trainer.State with { GlobalStep = 7 }, keep: 1));
        Assert.All(Directory.GetDirectories(store.Root, "step-*"), d => Assert.True(File.Exists(Path.Combine(d, "state.json")), d));
        Assert.NotEmpty(Directory.GetDirectories(store.Root, ".trash-*"));
        Directory.CreateDirectory(Path.Combine(store.Root, ".tmp-step-00000008-dead"));  // and a killed save's folder

        store.BeforeTrashDelete = null;
        store.Save(trainer.Model, trainer.Optimizer, trainer.State with { GlobalStep = 8 }, keep: 1);
        Assert.Empty(Directory.GetDirectories(store.Root, ".trash-*"));
        Assert.Empty(Directory.GetDirectories(store.Root, ".tmp-*"));
        Assert.Equal(["step-00000008"], Directory.GetDirectories(store.Root, "step-*").Select(Path.GetFileName).ToArray());
    }
}
