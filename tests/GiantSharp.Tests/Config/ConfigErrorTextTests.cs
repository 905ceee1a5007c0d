using System.Text.Json.Nodes;
using GiantSharp.Config;
using GiantSharp.Errors;

namespace GiantSharp.Tests.Config;

/// <summary>Config errors a user can act on: a typo gets "did you mean", a bad enum value lists the allowed ones, and no message names a .NET type.</summary>
public class ConfigErrorTextTests
{
    private static ConfigException Fails(params string[] overrides)
    {
        var node = JsonNode.Parse("""{ "out_dir": "runs/x", "data": { "dir": "d" }, "stages": [ { "name": "pseudo", "sharing": "all" }, { "name": "real" } ] }""")!.AsObject();
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.FromNode(node, overrides));
        Assert.DoesNotMatch(@"\b(System|GiantSharp|Microsoft)\.[A-Z]", e.Message);
        Assert.DoesNotContain(".NET", e.Message);
        return e;
    }

    [Theory]
    [InlineData("nmae=a", "nmae", "name")]                                           // root
    [InlineData("model.d_modle=64", "model.d_modle", "model.d_model")]              // one level down
    [InlineData("model.nlayer=4", "model.nlayer", "model.n_layer")]
    [InlineData("stages[1].micro_bath=2", "stages[1].micro_bath", "stages[1].micro_batch")]   // inside a list item
    [InlineData("model.moe.num_expert=8", "model.moe.num_expert", "model.moe.num_experts")] // two levels down
    [InlineData("offload.max_memmory=1GiB", "offload.max_memmory", "offload.max_memory")]
    [InlineData("checkpoint.kep=3", "checkpoint.kep", "checkpoint.keep")]
    public void A_typo_names_the_key_and_the_nearest_known_one(string assignment, string key, string suggestion)
    {
        var e = Fails(assignment);
        Assert.Equal(key, e.Key);
        Assert.Contains($"unknown key; did you mean '{suggestion}'?", e.Message);
    }

    [Fact]
    public void A_key_one_level_too_high_is_pointed_to_where_it_belongs()
    {
        var e = Fails("micro_batch=8");                                               // the old bench preset's layout
        Assert.Equal("micro_batch", e.Key);
        Assert.Contains("did you mean 'stages[0].micro_batch'?", e.Message);
    }

    [Fact]
    public void A_word_far_from_every_key_lists_the_keys_of_its_section()
    {
        var e = Fails("eval.zzzzzzzz=1");
        Assert.Contains("'eval' has every, sequences", e.Message);
    }

    [Theory]
    [InlineData("precision=fp16", "precision", "must be one of fp32, bf16, auto; got \"fp16\"")]
    [InlineData("delink.optimizer_state=copi", "delink.optimizer_state", "must be one of copy, scale, reset; got \"copi\"")]
    [InlineData("offload.tensors=weights", "offload.tensors", "must be one of all, experts; got \"weights\"")]
    [InlineData("schedule=5", "schedule", "must be an object; got 5")]
    [InlineData("data.sources=3", "data.sources", "must be a list; got 3")]
    public void A_bad_value_lists_what_the_key_takes(string assignment, string key, string says)
    {
        var e = Fails(assignment);
        Assert.Equal(key, e.Key);
        Assert.Contains(says, e.Message);
    }

    [Fact]
    public void Leftover_type_names_are_scrubbed() =>
        Assert.Equal("could not convert to the expected kind of value here",
            JsonErrorText.WithoutTypeNames("could not convert to System.Collections.Generic.IReadOnlyList`1[GiantSharp.Config.StageConfig] here"));

    [Theory]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("d_modle", "d_model", 2)]
    [InlineData("", "abc", 3)]
    [InlineData("keep", "keep", 0)]
    public void Edit_distance_counts_single_character_edits(string a, string b, int expected) => Assert.Equal(expected, EditDistance.Between(a, b));
}
