using GiantSharp.Training;

namespace GiantSharp.Tests.Training;

public class RunSummaryTests
{
    [Fact]
    public void Best_and_final_val_loss_tokens_time_and_the_final_checkpoint_are_said()
    {
        var summary = new RunSummary();
        summary.OnEval(new EvalLog("pseudo", 10, 3.5, 1000, 1.0) { BitsPerByte = 1.25 });
        summary.OnEval(new EvalLog("real", 20, 2.25, 2000, 2.0) { BitsPerByte = 0.8125 });
        summary.OnEval(new EvalLog("real", 30, 2.5, 3000, 3.0) { BitsPerByte = 0.9 });
        summary.OnCheckpoint("/runs/x/checkpoints/step-00000030", 30);
        Assert.Equal(20, summary.Best!.Step);
        Assert.Equal(30, summary.Final!.Step);
        Assert.Equal([
            "done at step 30: 3,000 tokens seen, 3.0 s of training in all, 4.5 s wall time this session",
            "val loss best 2.2500 nats/token = 0.8125 bits/byte at step 20 (real); final 2.5000 nats/token = 0.9000 bits/byte at step 30",
            "final checkpoint: /runs/x/checkpoints/step-00000030",
        ], summary.Lines(30, 3000, 3.0, TimeSpan.FromSeconds(4.5)));
    }

    [Fact]
    public void Without_evals_bpb_or_a_final_checkpoint_it_says_so()
    {
        var summary = new RunSummary();
        summary.OnCheckpoint("/c/step-00000010", 10);
        var lines = summary.Lines(12, 120, 1.0, TimeSpan.FromSeconds(2));
        Assert.Equal("val loss: no evaluation ran", lines[1]);
        Assert.Equal("last checkpoint: /c/step-00000010 (step 10)", lines[2]);
        summary.OnEval(new EvalLog("s", 12, 1.5, 120, 1.0));
        Assert.Equal("val loss best 1.5000 nats/token at step 12 (s); final 1.5000 nats/token at step 12", summary.Lines(12, 120, 1.0, TimeSpan.Zero)[1]);
        Assert.StartsWith("stopped at step 12: ", summary.Lines(12, 120, 1.0, TimeSpan.Zero, interrupted: true)[0]);
    }
}
