using System.Text.Json.Nodes;
using GiantSharp.Config;
using GiantSharp.Errors;
using GiantSharp.Sharing;

namespace GiantSharp.Tests.Config;

public class ConfigLoaderTests
{
    private static JsonObject Valid() => JsonNode.Parse("""
        { "data": { "dir": "d" }, "model": { "n_layer": 4, "n_head": 2, "d_model": 32, "d_ff": 64, "seq_len": 16 },
          "stages": [ { "name": "pseudo", "sharing": "all", "steps": 10, "micro_batch": 2, "global_batch": 4 },
                      { "name": "real", "sharing": "none", "steps": 10, "micro_batch": 2, "global_batch": 4 } ] }
        """)!.AsObject();

    [Fact]
    public void Reads_snake_case_and_sharing_shorthands()
    {
        var obj = Valid();
        obj["stages"]![0]!["sharing"] = "group:2:sequence";
        var c = ConfigLoader.FromNode(obj);
        Assert.Equal(SharingPlan.Group(2, "sequence"), c.Stages[0].Sharing);
        Assert.Equal(SharingPlan.None, c.Stages[1].Sharing);
        Assert.Equal(2, c.Stages[0].AccumulationSteps);
        Assert.Equal(20, c.TotalSteps);
    }

    [Theory]
    [InlineData("model.d_model=33", "model.d_model")]
    [InlineData("model.n_layer=0", "model.n_layer")]
    [InlineData("model.dropout=1.5", "model.dropout")]
    [InlineData("stages[0].global_batch=3", "stages[0].global_batch")]
    [InlineData("stages[0].sharing=\"group:9\"", "stages[0].sharing.groups")]
    [InlineData("stages[0].sharing=\"group:3:sequence\"", "stages[0].sharing.groups")]
    [InlineData("stages[1].sharing=\"group:2\"", "stages[1].sharing")]
    [InlineData("schedule.lr=-1", "schedule.lr")]
    [InlineData("optimizer.beta2=1", "optimizer.beta2")]
    [InlineData("device=\"tpu\"", "device")]
    [InlineData("model.positional=\"alibi\"", "model.positional")]
    public void Bad_values_are_refused_naming_the_key(string assignment, string key)
    {
        var obj = Valid();
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.FromNode(obj, [assignment]));
        Assert.Equal(key, e.Key);
        Assert.StartsWith($"config '{key}'", e.Message);
    }

    [Theory]
    [InlineData("offload.params=gpu", "offload.params", "must be one of device, host, disk; got \"gpu\"")]
    [InlineData("stages[1].offload=maybe", "stages[1].offload", "must be true or false; got \"maybe\"")]
    [InlineData("model.n_layer=abc", "model.n_layer", "must be a whole number; got \"abc\"")]
    [InlineData("offload.layers=[\"a\"]", "offload.layers", "list items must be layer indices")]
    [InlineData("stages[0].sharing=5", "stages[0].sharing", "'none', 'all', 'group:K:cycle|sequence'")]
    public void Wrong_types_say_what_the_key_accepts(string assignment, string key, string says)
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.FromNode(Valid(), [assignment]));
        Assert.Equal(key, e.Key);
        Assert.Contains(says, e.Message);
        Assert.DoesNotContain("GiantSharp.", e.Message);
        Assert.DoesNotContain("LineNumber", e.Message);
    }

    [Fact]
    public void Null_override_removes_an_optional_section()
    {
        var obj = Valid();
        obj["offload"] = JsonNode.Parse("""{ "params": "host" }""");
        Assert.NotNull(ConfigLoader.FromNode(obj.DeepClone().AsObject()).Offload);
        Assert.Null(ConfigLoader.FromNode(obj, ["offload=null"]).Offload);
    }

    [Fact]
    public void Unknown_keys_are_refused_naming_the_key()
    {
        var obj = Valid();
        obj["model"]!["n_layers"] = 3;
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.FromNode(obj));
        Assert.Contains("n_layers", e.Message);
    }

    [Fact]
    public void Missing_file_and_bad_json_name_the_file()
    {
        var path = Path.Combine(Path.GetTempPath(), $"giant-{Guid.NewGuid():N}.json");
        Assert.Contains(path, Assert.Throws<DataException>(() => ConfigLoader.Load(path)).Message);
        File.WriteAllText(path, "{ not json");
        try { Assert.Equal(path, Assert.Throws<DataException>(() => ConfigLoader.Load(path)).Path); }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Every_shipped_config_loads()
    {
        var dir = Path.Combine(RepoRoot(), "configs");
        var runs = Directory.GetFiles(dir, "*.json").Where(f => JsonNode.Parse(File.ReadAllText(f), documentOptions: new() { CommentHandling = System.Text.Json.JsonCommentHandling.Skip })!["stages"] is not null).ToList();
        Assert.NotEmpty(runs);
        foreach (var f in runs) ConfigLoader.Load(f);
    }

    internal static string RepoRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(dir, "GiantSharp.slnx"))) dir = Path.GetDirectoryName(dir)!;
        return dir;
    }
}
