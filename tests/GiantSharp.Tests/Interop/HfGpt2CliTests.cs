using GiantSharp.Checkpointing;
using GiantSharp.Config;
using GiantSharp.Data;
using GiantSharp.Model;
using GiantSharp.Sharing;
using GiantSharp.Tests.Cli;
using GiantSharp.Training.Optim;

namespace GiantSharp.Tests.Interop;

/// <summary><c>giant export --format hf</c> and <c>giant import</c> end to end: a round trip through the CLI, and one-line refusals with their exit codes.</summary>
[Collection(GlobalRngCollection.Name)]
public class HfGpt2CliTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    // A step-0 checkpoint of a tiny model (byte tokenizer), written as training writes one.
    private string Checkpoint(string name, ModelConfig model, SharingPlan? plan = null)
    {
        var spec = TokenizerFactory.ToSpec(new ByteTokenizer());
        model = model with { VocabSize = spec.VocabSize };
        var run = new RunConfig { Model = model, Data = new DataConfig { Dir = "data" }, Stages = [new StageConfig { Sharing = plan ?? SharingPlan.None }] };
        using var built = TinyModels.Build(model, plan);
        using var optimizer = new AdamW(run.Optimizer.ToAdamW());
        var state = new TrainState
        {
            LayerToBlock = built.Layers.LayerToBlock.ToArray(), TokenizerIdentity = spec.Identity, Tokenizer = spec, ConfigJson = ConfigLoader.ToJson(run),
        };
        var root = Path.Combine(_tmp.Path, name);
        new CheckpointStore(root).Save(built, optimizer, state, keep: 1);
        return root;
    }

    private static void AssertOneLine(GiantProcess.Result r, int code, string mustContain)
    {
        Assert.Equal(code, r.ExitCode);
        var line = Assert.Single(r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(mustContain, line);
    }

    [Theory]
    [InlineData("moe", "model.moe")]
    [InlineData("rope", "model.positional")]
    [InlineData("shared", "delink first: giant delink IN OUT")]
    [InlineData("nobias", "model.bias")]
    public void Export_refuses_what_gpt2_cannot_express_in_one_line(string kind, string named)
    {
        var config = TinyModels.Config(nLayer: 2);
        var ckpt = kind switch
        {
            "moe" => Checkpoint(kind, config with { Moe = new MoeConfig { NumExperts = 2 } }),
            "rope" => Checkpoint(kind, config with { Positional = "rope" }),
            "nobias" => Checkpoint(kind, config with { Bias = false }),
            _ => Checkpoint(kind, config, SharingPlan.All),
        };
        var output = Path.Combine(_tmp.Path, "hf-" + kind);
        AssertOneLine(GiantProcess.Run(_tmp.Path, "export", ckpt, "--format", "hf", "--out", output), 2, named);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void Cli_round_trip_keeps_every_weight_and_refuses_to_overwrite()
    {
        var ckpt = Checkpoint("dense", TinyModels.Config(nLayer: 2));
        var hf = Path.Combine(_tmp.Path, "hf");
        var back = Path.Combine(_tmp.Path, "back");
        Assert.Equal(0, GiantProcess.Run(_tmp.Path, "export", ckpt, "--format", "hf", "--out", hf).ExitCode);
        Assert.Equal(0, GiantProcess.Run(_tmp.Path, "import", hf, "--out", back).ExitCode);
        using (var a = LoadedCheckpoint.Open(ckpt))
        using (var b = LoadedCheckpoint.Open(back))
        {
            Assert.Equal(0, b.State.GlobalStep);
            Assert.Equal(a.Tokenizer.Identity, b.Tokenizer.Identity);
            var theirs = b.Model.state_dict();
            foreach (var (name, t) in a.Model.state_dict())
                Assert.True(t.shape.SequenceEqual(theirs[name].shape) && t.eq(theirs[name]).all().item<bool>(), name);
        }
        AssertOneLine(GiantProcess.Run(_tmp.Path, "import", hf, "--out", back), 6, back);
        AssertOneLine(GiantProcess.Run(_tmp.Path, "export", ckpt, "--format", "hf", "--out", hf), 6, hf);
        Assert.Equal(0, GiantProcess.Run(_tmp.Path, "import", hf, "--out", back, "--overwrite").ExitCode);
    }
}
