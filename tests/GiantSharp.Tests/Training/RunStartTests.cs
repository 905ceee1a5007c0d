using GiantSharp.Training;

namespace GiantSharp.Tests.Training;

public class RunStartTests
{
    [Fact]
    public void Parameters_tokens_per_step_placement_and_mfu_are_counted_by_hand()
    {
        using var tiny = new TinyCorpus(documents: 4);
        var config = tiny.Run() with { Model = tiny.Run().Model with { VocabSize = 100 } };   // 4 layers, C 32, d_ff 64, T 16, bias, learned positions
        var start = RunStart.Of(config, 0, "precision: fp32 (as configured)", si => si == 0 ? "resident" : "streamed: 1 MiB of max_memory 2MiB", peakFlopsPerSecond: 1e9);

        // Block: 2 LayerNorms 2 x 64, attention 32 x 96 + 96 + 32 x 32 + 32 = 4224, FFN 2 x 32 x 64 + 64 + 32 = 4192.
        const long block = 128 + 4224 + 4192;
        const long outside = 100 * 32 + 16 * 32 + 64;                       // wte, wpe, final LayerNorm
        Assert.Equal(8544, start.ParametersPerLayer);
        Assert.Equal(outside + block, start.Stages[0].StoredParameters);    // the Pseudo Giant stores one block
        Assert.Equal(outside + 4 * block, start.Stages[1].StoredParameters);
        Assert.Equal(outside + 4 * block, start.ActiveParameters);
        Assert.Equal([128L, 128L], start.Stages.Select(s => s.TokensPerStep)); // global_batch 8 x seq_len 16
        long flops = 6 * (outside + 4 * block - 16 * 32) + 12L * 4 * 32 * 16;
        Assert.Equal(flops, start.FlopsPerToken);
        Assert.Equal(1000.0 * flops / 1e9, start.Mfu(1000)!.Value, 12);
        Assert.Null((start with { PeakFlopsPerSecond = null }).Mfu(1000));

        var lines = start.Lines();
        Assert.Equal($"parameters stored: {outside + block:N0} (pseudo), {outside + 4 * block:N0} (real); per layer 8,544; active per token {outside + 4 * block:N0}", lines[0]);
        Assert.Equal("tokens per optimizer step: 128 (pseudo), 128 (real)", lines[1]);
        Assert.Equal("placement: pseudo resident, real streamed (each stage's plan follows when it starts)", lines[2]);
        Assert.Equal("precision: fp32 (as configured)", lines[3]);
        Assert.StartsWith("MFU against a matmul peak of 1.0 GFLOP/s", lines[4]);
    }

    [Fact]
    public void The_trainer_tells_its_observers_the_start_and_each_steps_time_and_mfu()
    {
        using var tiny = new TinyCorpus(documents: 20);
        using var corpus = tiny.Open();
        var seen = new StartRecorder();
        using (var trainer = new Trainer(tiny.Run(pseudoSteps: 2, realSteps: 1), corpus, [seen]) { PeakFlopsPerSecond = 1e9 })
            trainer.Run();
        var start = Assert.Single(seen.Starts);
        Assert.Equal(0, start.Step);
        Assert.Equal("precision: fp32 (as configured)", start.Precision);
        Assert.Equal(["resident", "resident"], start.Stages.Select(s => s.Placement));
        Assert.Equal(3, seen.Steps.Count);
        foreach (var s in seen.Steps)
        {
            Assert.Equal(128 / s.StepSeconds, s.TokensPerSecond, 6);
            Assert.Equal(s.TokensPerSecond * start.FlopsPerToken / 1e9, s.Mfu!.Value, 9);
        }
    }

    private sealed class StartRecorder : ITrainingObserver
    {
        public List<RunStart> Starts { get; } = [];
        public List<StepLog> Steps { get; } = [];
        public void OnRunStart(RunStart start) => Starts.Add(start);
        public void OnStep(StepLog log) => Steps.Add(log);
    }
}
