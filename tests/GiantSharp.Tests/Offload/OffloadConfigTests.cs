using System.Text.Json;
using GiantSharp.Config;
using GiantSharp.Errors;
using GiantSharp.Offload;
using GiantSharp.Sharing;

namespace GiantSharp.Tests.Offload;

public class OffloadConfigTests
{
    private static readonly JsonSerializerOptions Snake = ConfigLoader.JsonOptions;      // what run configs are read with

    private static OffloadConfig Parse(string json) => JsonSerializer.Deserialize<OffloadConfig>(json, Snake)!;

    [Fact]
    public void Reads_snake_case_json_with_every_form_of_layers()
    {
        var c = Parse("""{"params": "disk", "grads": "host", "optimizer": "device", "layers": 3, "prefetch": 2, "dir": "/nvme/x"}""");
        Assert.Equal((Tier.Disk, Tier.Host, Tier.Device, 2, "/nvme/x"), (c.Params, c.Grads, c.Optimizer, c.Prefetch, c.Dir));
        Assert.Equal(new[] { false, false, false, true, true, true }, c.Layers.Resolve(6));
        Assert.Equal(new[] { true, true, true, true }, Parse("""{"layers": "all"}""").Layers.Resolve(4));
        Assert.Equal(new[] { false, false, false, false }, Parse("""{"layers": "none"}""").Layers.Resolve(4));
        Assert.Equal(new[] { true, false, true, false }, Parse("""{"layers": [0, 2]}""").Layers.Resolve(4));
        Assert.Equal(new[] { false, false, true, true, true }, Parse("""{"layers": 0.5}""").Layers.Resolve(5));
        Assert.Equal(new[] { true, true }, Parse("""{"layers": 1.0}""").Layers.Resolve(2));
        var original = Parse("""{"layers": [1, 3], "optimizer": "disk", "dir": "d"}""");
        var round = Parse(JsonSerializer.Serialize(original, Snake));
        Assert.Equal(original.Layers.Resolve(4), round.Layers.Resolve(4));
        Assert.Equal(original with { Layers = round.Layers }, round);
        Assert.Equal(0.25, Parse(JsonSerializer.Serialize(Parse("""{"layers": 0.25}"""), Snake)).Layers.Fraction);
    }

    [Theory]
    [InlineData("""{"layers": 9}""", "offload.layers", "[0, n_layer = 4]")]
    [InlineData("""{"layers": [1, 1]}""", "offload.layers", "listed twice")]
    [InlineData("""{"layers": [7]}""", "offload.layers", "outside 0..3")]
    [InlineData("""{"layers": 1.5}""", "offload.layers", "(0, 1]")]
    [InlineData("""{"prefetch": -1}""", "offload.prefetch", "[0, 64]")]
    [InlineData("""{"grads": "disk"}""", "offload.dir", "must name a directory")]
    public void Validation_names_the_key_at_fault(string json, string key, string problem)
    {
        var e = Assert.Throws<ConfigException>(() => Parse(json).Validate(4));
        Assert.Equal(key, e.Key);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void A_bad_tier_name_is_a_json_error()
    {
        Assert.Throws<JsonException>(() => Parse("""{"params": "nvme"}"""));
        Assert.Throws<JsonException>(() => Parse("""{"layers": "half"}"""));
        Assert.Throws<JsonException>(() => Parse("""{"prefetch_depth": 2}"""));
    }

    [Fact]
    public void Tensors_reads_all_and_experts_and_refuses_anything_else_naming_the_key()
    {
        Assert.Equal(OffloadTensors.All, Parse("{}").Tensors);
        var experts = Parse("""{"tensors": "experts"}""");
        Assert.Equal(OffloadTensors.Experts, experts.Tensors);
        Assert.Contains("\"tensors\": \"experts\"", JsonSerializer.Serialize(experts, Snake));
        Assert.Throws<JsonException>(() => Parse("""{"tensors": "attention"}"""));

        var run = System.Text.Json.Nodes.JsonNode.Parse("""
            { "data": { "dir": "d" }, "model": { "n_layer": 4, "n_head": 2, "d_model": 32, "d_ff": 64, "seq_len": 16 },
              "stages": [ { "name": "real", "sharing": "none", "steps": 1, "micro_batch": 2, "global_batch": 2 } ],
              "offload": { "tensors": "attention" } }
            """)!.AsObject();
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.FromNode(run));
        Assert.Equal("offload.tensors", e.Key);
        Assert.Contains("must be one of all, experts", e.Message);

        var bad = Assert.Throws<ConfigException>(() => new OffloadConfig { Tensors = (OffloadTensors)7 }.Validate(4));
        Assert.Equal("offload.tensors", bad.Key);
        Assert.Contains("must be 'all' or 'experts'", bad.Message);
    }

    [Fact]
    public void The_plan_keeps_a_shared_block_on_the_device_and_offloads_only_its_moments()
    {
        var config = new OffloadConfig { Params = Tier.Disk, Grads = Tier.Disk, Optimizer = Tier.Disk, Dir = "d" };
        var plan = OffloadPlan.Create(config, SharingPlan.Group(2, "sequence").LayerMap(6), [100, 100], 10);
        Assert.All(plan.Managed, p => Assert.Equal((Tier.Device, Tier.Device, Tier.Disk), (p.Params, p.Grads, p.Optimizer)));
        Assert.Equal(new[] { 0, 1, 2 }, plan.Blocks[0]!.Layers);
        Assert.False(plan.IsStreamed(0));

        var real = OffloadPlan.Create(config with { Layers = LayerSelection.Last(2) }, SharingPlan.None.LayerMap(6), Enumerable.Repeat(100L, 6).ToArray(), 10);
        Assert.Equal(new[] { 4, 5 }, real.Managed.Select(p => p.Block));
        Assert.True(real.IsStreamed(5));
        Assert.Null(real.Blocks[3]);
        Assert.Equal(new[] { 0, 1, 2, 3, 4, 5, 5, 4, 3, 2, 1, 0 }, real.VisitOrder(1));
        Assert.Equal(real.VisitOrder(1).Concat(real.VisitOrder(1)), real.VisitOrder(2));
    }
}
