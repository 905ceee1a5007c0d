using System.Text.Json;
using GiantSharp.Data;
using GiantSharp.Errors;

namespace GiantSharp.Tests.Data;

public class CorpusPreparerTests
{
    /// <summary>Five documents in two files: three fortune poems and two JSONL lines with emoji and mixed scripts.</summary>
    private static (string Input, string[] Docs) WriteCorpus(TempDir dir)
    {
        string input = Path.Combine(dir.Path, "in");
        dir.Write("in/a_poems", Samples.FortuneFile);
        dir.Write("in/b_more.jsonl", JsonSerializer.Serialize(new { text = Samples.Emoji }) + "\n" + JsonSerializer.Serialize(new { text = Samples.Mixed }) + "\n");
        return (input, [.. Samples.FortuneDocs, Samples.Emoji, Samples.Mixed]);
    }

    /// <summary>The documents of a shard: its ids cut at each end-of-text, decoded.</summary>
    private static List<string> DecodeDocuments(TokenShard shard, ITokenizer tokenizer)
    {
        int[] ids = shard.Read(0, checked((int)shard.Length));
        Assert.Equal(tokenizer.EndOfTextId, ids[^1]);
        var docs = new List<string>();
        int start = 0;
        for (int i = 0; i < ids.Length; i++)
        {
            if (ids[i] != tokenizer.EndOfTextId)
                continue;
            docs.Add(tokenizer.Decode(ids.AsSpan(start, i - start)));
            start = i + 1;
        }
        return docs;
    }

    [Theory]
    [InlineData("byte")]
    [InlineData("char")]
    [InlineData("gpt2")]
    public void Prepare_then_open_gives_back_every_document_in_its_split(string kind)
    {
        using var dir = new TempDir();
        var (input, docs) = WriteCorpus(dir);
        string outDir = Path.Combine(dir.Path, "out");

        var info = CorpusPreparer.Prepare([input], outDir, kind, valFraction: 0.4, seed: 7);
        using var corpus = PreparedCorpus.Open(outDir);

        var (train, val) = CorpusSplit.ByTokens(docs.Select(d => corpus.Tokenizer.Encode(d).Length + 1L).ToArray(), 0.4, 7);
        Assert.Equal(train.Select(i => docs[i]), DecodeDocuments(corpus.Train, corpus.Tokenizer));
        Assert.Equal(val.Select(i => docs[i]), DecodeDocuments(corpus.Val, corpus.Tokenizer));
        Assert.Equal((3, 2), (train.Length, val.Length));
        Assert.Equal(info.Meta.Tokenizer.Identity, corpus.Tokenizer.Identity);
        Assert.Equal("uint16", corpus.Meta.Dtype);
        Assert.Equal((3L, 2L), (corpus.Meta.Train.Documents, corpus.Meta.Val.Documents));
        Assert.Equal(corpus.Train.Length, corpus.Meta.Train.Tokens);
        Assert.Equal(2 * corpus.Val.Length, new FileInfo(info.ValPath).Length);
        Assert.Equal([Path.GetFullPath(input)], corpus.Meta.Sources);
    }

    [Theory]
    [InlineData("byte")]
    [InlineData("char")]
    [InlineData("gpt2")]
    public void Meta_json_uses_snake_case_keys_and_stores_only_the_char_vocab(string kind)
    {
        using var dir = new TempDir();
        var (input, _) = WriteCorpus(dir);

        var info = CorpusPreparer.Prepare([input], Path.Combine(dir.Path, "out"), kind);

        using var json = JsonDocument.Parse(File.ReadAllText(info.MetaPath));
        var root = json.RootElement;
        var tokenizer = root.GetProperty("tokenizer");
        Assert.Equal(kind, tokenizer.GetProperty("kind").GetString());
        Assert.Equal(info.Meta.Tokenizer.Identity, tokenizer.GetProperty("identity").GetString());
        Assert.Equal(kind == "char", tokenizer.TryGetProperty("vocab", out var vocab));
        if (kind == "char")
            Assert.Equal(vocab.GetArrayLength() + 2, tokenizer.GetProperty("vocab_size").GetInt32());
        Assert.Equal("uint16", root.GetProperty("dtype").GetString());
        Assert.Equal(info.Meta.Train.Tokens, root.GetProperty("train").GetProperty("tokens").GetInt64());
        Assert.Equal(1, root.GetProperty("val").GetProperty("documents").GetInt64());
        Assert.True(root.TryGetProperty("created_utc", out _));
        Assert.Equal(["meta.json", "train.bin", "val.bin"], Directory.GetFiles(info.Directory).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void Vocabulary_over_65536_ids_is_stored_as_uint32()
    {
        using var dir = new TempDir();
        // 70,000 distinct supplementary-plane code points, U+10000 upward, in two documents.
        string Runes(int from, int count) => string.Concat(Enumerable.Range(from, count).Select(char.ConvertFromUtf32));
        dir.Write("in/1.txt", Runes(0x10000, 35_000));
        dir.Write("in/2.txt", Runes(0x10000 + 35_000, 35_000));
        string outDir = Path.Combine(dir.Path, "out");

        var info = CorpusPreparer.Prepare([Path.Combine(dir.Path, "in")], outDir, "char", valFraction: 0.5);
        using var corpus = PreparedCorpus.Open(outDir);
        int trainDoc = CorpusSplit.ByTokens([35_001, 35_001], 0.5, 1234).Train.Single();

        Assert.Equal(70_002, corpus.Tokenizer.VocabSize);
        Assert.Equal("uint32", info.Meta.Dtype);
        Assert.Equal(4, corpus.Train.BytesPerToken);
        Assert.Equal(35_001L * 4, new FileInfo(info.TrainPath).Length);
        Assert.Equal(70_000, corpus.Train[35_000]); // end-of-text after the 35,000 characters
        Assert.Equal(Runes(0x10000 + 35_000 * trainDoc, 35_000), corpus.Tokenizer.Decode(corpus.Train.Read(0, 35_000)));
    }

    [Fact]
    public void Preparing_twice_writes_identical_shards()
    {
        using var dir = new TempDir();
        var (input, _) = WriteCorpus(dir);

        var one = CorpusPreparer.Prepare([input], Path.Combine(dir.Path, "one"), "byte", 0.4, 99);
        var two = CorpusPreparer.Prepare([input], Path.Combine(dir.Path, "two"), "byte", 0.4, 99);

        Assert.Equal(File.ReadAllBytes(one.TrainPath), File.ReadAllBytes(two.TrainPath));
        Assert.Equal(File.ReadAllBytes(one.ValPath), File.ReadAllBytes(two.ValPath));
    }

    [Fact]
    public void A_single_document_of_one_token_cannot_be_split()
    {
        using var dir = new TempDir();
        string file = dir.Write("one.txt", "x");

        var e = Assert.Throws<DataException>(() => CorpusPreparer.Prepare([file], Path.Combine(dir.Path, "out"), "byte"));

        Assert.Equal(file, e.Path);
        Assert.Contains("one document of 1 token(s)", e.Message);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    public void Val_fraction_outside_zero_one_is_a_config_error(double fraction)
    {
        var e = Assert.Throws<ConfigException>(() => CorpusPreparer.Prepare(["x"], "out", "byte", fraction));
        Assert.Equal("val_fraction", e.Key);
    }

    [Fact]
    public void Unknown_tokenizer_fails_before_reading_anything()
    {
        var e = Assert.Throws<ConfigException>(() => CorpusPreparer.Prepare(["/does/not/exist"], "out", "bpe"));
        Assert.Equal("tokenizer", e.Key);
    }

    [Fact]
    public void Open_names_the_missing_folder_meta_or_shard()
    {
        using var dir = new TempDir();
        var (input, _) = WriteCorpus(dir);
        string outDir = Path.Combine(dir.Path, "out");
        string missingDir = Path.Combine(dir.Path, "nowhere");
        Assert.Equal(missingDir, Assert.Throws<DataException>(() => PreparedCorpus.Open(missingDir)).Path);
        Assert.Equal(Path.Combine(dir.Path, "meta.json"), Assert.Throws<DataException>(() => PreparedCorpus.Open(dir.Path)).Path);

        var info = CorpusPreparer.Prepare([input], outDir, "byte");
        File.Delete(info.ValPath);

        var e = Assert.Throws<DataException>(() => PreparedCorpus.Open(outDir));
        Assert.Equal(info.ValPath, e.Path);
    }

    [Fact]
    public void Open_rejects_a_shard_whose_size_disagrees_with_meta()
    {
        using var dir = new TempDir();
        var (input, _) = WriteCorpus(dir);
        string outDir = Path.Combine(dir.Path, "out");
        var info = CorpusPreparer.Prepare([input], outDir, "byte");
        using (var stream = new FileStream(info.TrainPath, FileMode.Open))
            stream.SetLength(stream.Length - 2);

        var e = Assert.Throws<DataException>(() => PreparedCorpus.Open(outDir));

        Assert.Equal(info.TrainPath, e.Path);
        Assert.Contains("meta.json says", e.Message);
    }

    [Fact]
    public void Open_rejects_a_meta_json_that_is_not_json()
    {
        using var dir = new TempDir();
        string meta = dir.Write("meta.json", "{ not json");

        var e = Assert.Throws<DataException>(() => PreparedCorpus.Open(dir.Path));

        Assert.Equal(meta, e.Path);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Real_tang300_round_trips_through_the_char_tokenizer()
    {
        using var dir = new TempDir();
        string source = Samples.Tang300Path();
        var poems = CorpusReader.Read(source);

        var info = CorpusPreparer.Prepare([source], dir.Path, "char");
        using var corpus = PreparedCorpus.Open(dir.Path);

        var (train, val) = CorpusSplit.ByTokens(poems.Select(p => corpus.Tokenizer.Encode(p).Length + 1L).ToArray(), 0.1, 1234);
        Assert.Equal(train.Select(i => poems[i]), DecodeDocuments(corpus.Train, corpus.Tokenizer));
        Assert.Equal(val.Select(i => poems[i]), DecodeDocuments(corpus.Val, corpus.Tokenizer));
        Assert.Equal(313L, info.Meta.Train.Documents + info.Meta.Val.Documents);
        long longest = poems.Max(p => corpus.Tokenizer.Encode(p).Length + 1L);
        Assert.InRange(info.Meta.Val.Tokens, 0.1 * (corpus.Train.Length + corpus.Val.Length) - longest, 0.1 * (corpus.Train.Length + corpus.Val.Length) + longest);
        Assert.DoesNotContain(((CharTokenizer)corpus.Tokenizer).UnknownId, corpus.Val.Read(0, (int)corpus.Val.Length));
    }
}
