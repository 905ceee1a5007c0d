using GiantSharp.Data;
using GiantSharp.Errors;

namespace GiantSharp.Tests.Data;

public class TokenizerTests
{
    public static TheoryData<string, int> KindsAndSamples()
    {
        var data = new TheoryData<string, int>();
        foreach (string kind in TokenizerFactory.Kinds)
            for (int i = 0; i < Samples.All.Length; i++)
                data.Add(kind, i);
        return data;
    }

    [Theory]
    [MemberData(nameof(KindsAndSamples))]
    public void Decode_of_encode_is_the_text(string kind, int sample)
    {
        var tokenizer = TokenizerFactory.Create(kind, Samples.All);
        string text = Samples.All[sample];

        int[] ids = tokenizer.Encode(text);

        Assert.Equal(text, tokenizer.Decode(ids));
        Assert.All(ids, id => Assert.InRange(id, 0, tokenizer.VocabSize - 1));
        Assert.DoesNotContain(tokenizer.EndOfTextId, ids);
    }

    [Theory]
    [InlineData("byte", 257, 256)]
    [InlineData("gpt2", 50257, 50256)]
    public void Fixed_vocabularies_have_the_published_sizes(string kind, int vocabSize, int endOfText)
    {
        var tokenizer = TokenizerFactory.Create(kind, []);
        Assert.Equal(kind, tokenizer.Kind);
        Assert.Equal(vocabSize, tokenizer.VocabSize);
        Assert.Equal(endOfText, tokenizer.EndOfTextId);
    }

    [Fact]
    public void Identities_are_pinned_so_checkpoints_stay_valid_across_builds()
    {
        Assert.Equal("byte:0ba1bc7f", new ByteTokenizer().Identity);
        Assert.Equal("gpt2:68373153", new Gpt2Tokenizer().Identity);
        Assert.Equal("char:3e44980e", CharTokenizer.Build(["ab"]).Identity);
    }

    [Fact]
    public void Byte_tokens_are_utf8_bytes()
    {
        var tokenizer = new ByteTokenizer();
        Assert.Equal([0x41, 0xC3, 0xA9, 0xE6, 0x98, 0x8E], tokenizer.Encode("Aé明"));
        Assert.Equal([0xF0, 0x9F, 0x98, 0x80], tokenizer.Encode("😀"));
    }

    [Fact]
    public void Byte_decode_replaces_partial_utf8_and_marks_end_of_text()
    {
        var tokenizer = new ByteTokenizer();
        // "明" is E6 98 8E; cut after two bytes.
        Assert.Equal("A\uFFFD", tokenizer.Decode([0x41, 0xE6, 0x98]));
        Assert.Equal("\uFFFDB", tokenizer.Decode([0x98, 0x42]));
        Assert.Equal("A<|endoftext|>B", tokenizer.Decode([0x41, 256, 0x42]));
        Assert.Equal("A\uFFFDB", tokenizer.Decode([0x41, 300, 0x42]));
        Assert.Equal("A\uFFFD\uFFFD\uFFFD", tokenizer.Decode([0x41, 0xE6, -1, 0x98])); // partial, bad id, stray continuation
    }

    [Fact]
    public void Gpt2_matches_golden_ids()
    {
        var tokenizer = new Gpt2Tokenizer();
        Assert.Equal([15496, 995], tokenizer.Encode("Hello world"));
        Assert.Equal("Hello<|endoftext|> world", tokenizer.Decode([15496, 50256, 995]));
    }

    [Fact]
    public void Gpt2_encodes_a_literal_end_of_text_marker_as_ordinary_text()
    {
        var tokenizer = new Gpt2Tokenizer();
        string text = "a<|endoftext|>b";

        int[] ids = tokenizer.Encode(text);

        Assert.DoesNotContain(50256, ids);
        Assert.Equal(text, tokenizer.Decode(ids));
    }

    [Fact]
    public void Gpt2_decode_replaces_partial_utf8_and_unknown_ids()
    {
        var tokenizer = new Gpt2Tokenizer();
        int[] ids = tokenizer.Encode("明");
        Assert.True(ids.Length > 1, "明 is more than one GPT-2 token");
        Assert.Equal("\uFFFD", tokenizer.Decode(ids.AsSpan(0, 1)));
        Assert.Equal("\uFFFD明", tokenizer.Decode([60000, .. ids]));
    }

    [Fact]
    public void Char_vocab_is_sorted_by_code_point_and_independent_of_document_order()
    {
        // U+FF0C (，) sorts before U+2000B (𠀋) by code point, though not by UTF-16 code unit.
        var a = CharTokenizer.Build(["𠀋，b", "a"]);
        var b = CharTokenizer.Build(["a", "b，𠀋", "a"]);

        Assert.Equal(["a", "b", "，", "𠀋"], a.Vocab);
        Assert.Equal(a.Vocab, b.Vocab);
        Assert.Equal(a.Identity, b.Identity);
        Assert.Matches("^char:[0-9a-f]{8}$", a.Identity);
        Assert.NotEqual(a.Identity, CharTokenizer.Build(["ab，"]).Identity);
    }

    [Fact]
    public void Char_ids_put_end_of_text_and_unknown_after_the_characters()
    {
        var tokenizer = CharTokenizer.Build(["床前明月光"]);

        Assert.Equal(5, tokenizer.EndOfTextId);
        Assert.Equal(6, tokenizer.UnknownId);
        Assert.Equal(7, tokenizer.VocabSize);
        // Sorted by code point: 光 U+5149, 前 U+524D, 床 U+5E8A, 明 U+660E, 月 U+6708.
        Assert.Equal([2, 1, 3, 4, 0], tokenizer.Encode("床前明月光"));
    }

    [Fact]
    public void Char_unknown_characters_become_unk_and_decode_as_replacement()
    {
        var tokenizer = CharTokenizer.Build(["明月"]);

        int[] ids = tokenizer.Encode("明日😀");

        Assert.Equal([0, tokenizer.UnknownId, tokenizer.UnknownId], ids);
        Assert.Equal("明\uFFFD\uFFFD", tokenizer.Decode(ids));
        Assert.Equal("明<|endoftext|>", tokenizer.Decode([0, tokenizer.EndOfTextId]));
    }

    [Fact]
    public void Char_zwj_emoji_are_several_code_points_and_round_trip()
    {
        string family = "👨‍👩‍👧";
        var tokenizer = CharTokenizer.Build([family]);

        int[] ids = tokenizer.Encode(family);

        Assert.Equal(5, ids.Length); // man, ZWJ, woman, ZWJ, girl
        Assert.Equal(["\u200D", "👧", "👨", "👩"], tokenizer.Vocab);
        Assert.Equal(family, tokenizer.Decode(ids));
    }

    [Fact]
    public void Char_from_vocab_rebuilds_the_same_tokenizer_and_rejects_bad_vocab()
    {
        var built = CharTokenizer.Build(Samples.All);
        var loaded = CharTokenizer.FromVocab(built.Vocab);

        Assert.Equal(built.Identity, loaded.Identity);
        Assert.Equal(built.Encode(Samples.Emoji), loaded.Encode(Samples.Emoji));
        Assert.Throws<ArgumentException>(() => CharTokenizer.FromVocab(["b", "a"]));
        Assert.Throws<ArgumentException>(() => CharTokenizer.FromVocab(["a", "a"]));
        Assert.Throws<ArgumentException>(() => CharTokenizer.FromVocab(["ab"]));
    }

    [Fact]
    public void Unknown_kind_is_a_config_error_naming_tokenizer()
    {
        var e = Assert.Throws<ConfigException>(() => TokenizerFactory.Create("wordpiece", []));
        Assert.Equal("tokenizer", e.Key);
        Assert.Equal("config 'tokenizer': unknown tokenizer 'wordpiece' (byte, char, gpt2)", e.Message);
    }

    [Theory]
    [InlineData("byte")]
    [InlineData("char")]
    [InlineData("gpt2")]
    public void Spec_round_trip_gives_the_same_tokenizer(string kind)
    {
        var tokenizer = TokenizerFactory.Create(kind, Samples.All);

        var loaded = TokenizerFactory.FromSpec(TokenizerFactory.ToSpec(tokenizer), "meta.json");

        Assert.Equal(tokenizer.Identity, loaded.Identity);
        Assert.Equal(tokenizer.Encode(Samples.Mixed), loaded.Encode(Samples.Mixed));
    }

    [Fact]
    public void Spec_with_a_wrong_identity_is_a_data_error_naming_the_file()
    {
        var spec = TokenizerFactory.ToSpec(CharTokenizer.Build(["abc"])) with { Identity = "char:00000000" };

        var e = Assert.Throws<DataException>(() => TokenizerFactory.FromSpec(spec, "/corpus/meta.json"));

        Assert.Equal("/corpus/meta.json", e.Path);
        Assert.Contains("tokenizer.identity", e.Message);
    }
}
