using System.Text.Json.Nodes;
using GiantSharp.Cli;
using GiantSharp.Cli.Commands;
using GiantSharp.Config;
using GiantSharp.Errors;

namespace GiantSharp.Tests.Cli;

/// <summary><c>giant demo</c> writes to a folder of its own per preset and never replaces or deletes one that holds a <c>giant train</c> run.</summary>
public class DemoFolderTests
{
    private static bool Inside(string path, string folder)
    {
        var p = Path.GetFullPath(path).TrimEnd('/') + "/";
        var f = Path.GetFullPath(folder).TrimEnd('/') + "/";
        return p.StartsWith(f, StringComparison.Ordinal);
    }

    private static string[] Entries(string dir) => Directory.GetFileSystemEntries(dir, "*", SearchOption.AllDirectories).Order().ToArray();

    [Fact]
    public void Every_presets_demo_folder_is_apart_from_where_giant_train_writes_it()
    {
        var configs = Directory.GetFiles(Path.Combine(GiantSharp.Tests.Config.ConfigLoaderTests.RepoRoot(), "configs"), "*.json");
        var demos = new HashSet<string>();
        foreach (var file in configs)
        {
            var train = ConfigLoader.Load(file).OutDir;
            var demo = DemoCommand.DefaultOut(file);
            Assert.False(Inside(demo, train) || Inside(train, demo), $"{file}: demo {demo}, train {train}");
            Assert.True(demos.Add(demo), $"{demo} shared by two presets");
        }
        Assert.Equal(Path.Combine("runs", "demo", "m6-budget"), DemoCommand.DefaultOut("configs/m6-budget.json"));
    }

    [Fact]
    public void The_demo_replaces_only_its_own_folder()
    {
        using var dir = new TempDir();
        var own = Path.Combine(dir.Path, "own");
        RunFolder.ClaimForDemo(own);                                          // missing: made and marked
        Assert.True(File.Exists(Path.Combine(own, RunFolder.DemoMarker)));
        File.WriteAllText(Path.Combine(own, "curves.csv"), "old");
        Directory.CreateDirectory(Path.Combine(own, "scratch", "checkpoints"));
        File.WriteAllText(Path.Combine(own, "scratch", "checkpoints", "latest"), "step-00000001");
        RunFolder.ClaimForDemo(own);                                          // its own earlier output, its own runs' checkpoints included: replaced
        Assert.Equal([Path.Combine(own, RunFolder.DemoMarker)], Entries(own));

        RunFolder.MarkTrainRun(Path.Combine(own, "continued"));              // a giant train run put inside it since
        var before = Entries(own);
        var e = Assert.Throws<RunFolderInUseException>(() => RunFolder.ClaimForDemo(own));
        Assert.Contains("holds a giant train run", e.Message);
        Assert.Equal(before, Entries(own));

        var train = Path.Combine(dir.Path, "train");                          // checkpoints in a folder the demo did not make
        Directory.CreateDirectory(Path.Combine(train, "checkpoints"));
        File.WriteAllText(Path.Combine(train, "checkpoints", "latest"), "step-00000002");
        Assert.Contains("holds checkpoints", Assert.Throws<RunFolderInUseException>(() => RunFolder.ClaimForDemo(train)).Message);
        Assert.Equal(2, Entries(train).Length);

        var other = Path.Combine(dir.Path, "other");
        Directory.CreateDirectory(other);
        File.WriteAllText(Path.Combine(other, "notes.txt"), "mine");
        Assert.Contains("not made by giant demo", Assert.Throws<RunFolderInUseException>(() => RunFolder.ClaimForDemo(other)).Message);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(other, "notes.txt")));
    }

    [Fact]
    public void Giant_demo_into_a_giant_train_run_folder_is_refused_and_deletes_nothing()
    {
        using var corpus = new TinyCorpus();
        var run = Path.Combine(corpus.Root, "run");
        var config = Path.Combine(corpus.Root, "c.json");
        File.WriteAllText(config, new JsonObject
        {
            ["data"] = new JsonObject { ["dir"] = corpus.Dir },
            ["out_dir"] = run,
            ["model"] = JsonNode.Parse("""{ "n_layer": 2, "n_head": 2, "d_model": 16, "d_ff": 32, "seq_len": 16 }"""),
            ["stages"] = JsonNode.Parse("""[ { "name": "pseudo", "sharing": "all", "steps": 1, "micro_batch": 2, "global_batch": 2 }, { "name": "real", "steps": 1, "micro_batch": 2, "global_batch": 2 } ]"""),
            ["eval"] = JsonNode.Parse("""{ "every": 0, "sequences": 2 }"""),
        }.ToJsonString());
        var trained = GiantProcess.Run(corpus.Root, "train", config, "--threads", "1");
        Assert.True(trained.ExitCode == 0, trained.StdErr);
        Assert.True(File.Exists(Path.Combine(run, RunFolder.TrainMarker)));
        var before = Entries(run);

        var demo = GiantProcess.Run(corpus.Root, "demo", "--preset", config, "--out", run, "--threads", "1");
        Assert.Equal(CliErrors.Refused, demo.ExitCode);
        Assert.Contains("giant demo never replaces", demo.StdErr);
        Assert.Equal(before, Entries(run));
    }
}
