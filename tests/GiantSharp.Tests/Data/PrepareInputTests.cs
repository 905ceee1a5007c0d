using System.IO.Compression;
using System.Text;
using GiantSharp.Data;
using GiantSharp.Errors;

namespace GiantSharp.Tests.Data;

/// <summary>Forgiving, explicit input for <c>giant prepare</c> (issue 14): what is read, what is skipped and why, and where the tokens go.</summary>
public class PrepareInputTests
{
    private static byte[] Gzip(string text)
    {
        using var packed = new MemoryStream();
        using (var gzip = new GZipStream(packed, CompressionLevel.Optimal))
            gzip.Write(Encoding.UTF8.GetBytes(text));
        return packed.ToArray();
    }

    private static int[] All(TokenShard shard) => shard.Read(0, checked((int)shard.Length));

    [Theory]
    [InlineData("byte")]
    [InlineData("char")]
    [InlineData("gpt2")]
    public void One_file_is_split_by_position_the_first_tokens_train_the_last_val(string kind)
    {
        using var dir = new TempDir();
        string text = string.Concat(Enumerable.Range(0, 40).Select(i => $"line {i}: to be or not to be.\n"));
        string file = dir.Write("shakespeare.txt", text);
        string outDir = Path.Combine(dir.Path, "out");

        var info = CorpusPreparer.Prepare([file], outDir, kind, valFraction: 0.1);
        using var corpus = PreparedCorpus.Open(outDir);

        int[] ids = corpus.Tokenizer.Encode(text);
        int valCount = (int)Math.Round(ids.Length * 0.1, MidpointRounding.AwayFromZero);
        int eot = corpus.Tokenizer.EndOfTextId;
        Assert.Equal([.. ids[..^valCount], eot], All(corpus.Train));
        Assert.Equal([.. ids[^valCount..], eot], All(corpus.Val));
        Assert.Equal(SplitMethod.Position, info.Meta.Split);
        Assert.Equal((1L, 1L), (info.Meta.Train.Documents, info.Meta.Val.Documents));
        var source = Assert.Single(info.Meta.Files);
        Assert.Equal((file, new FileInfo(file).Length, ids.Length - valCount + 1L, valCount + 1L, "train+val"),
            (source.Path, source.Bytes, source.TrainTokens, source.ValTokens, source.Split));
        Assert.InRange(info.Meta.AchievedValFraction, 0.1 - 2.0 / ids.Length, 0.1 + 2.0 / ids.Length);
    }

    [Fact]
    public void Gz_files_are_decompressed_and_their_format_judged_without_gz()
    {
        using var dir = new TempDir();
        string poems = dir.WriteBytes("in/a_poems.gz", Gzip(Samples.FortuneFile));
        string jsonl = dir.WriteBytes("in/b_docs.jsonl.gz", Gzip("{\"text\": \"first\"}\n{\"text\": \"second\"}\n"));
        dir.Write("in/c_plain.txt", "plain");

        var text = CorpusReader.Load([Path.Combine(dir.Path, "in")]);

        Assert.Equal([.. Samples.FortuneDocs, "first", "second", "plain"], text.Documents);
        Assert.Equal(new FileInfo(poems).Length, text.Files[0].Bytes);
        Assert.Equal(new FileInfo(jsonl).Length, text.Files[1].Bytes);
        Assert.Empty(text.Skipped);
    }

    [Fact]
    public void A_truncated_gz_is_skipped_not_read_in_part_and_concatenated_members_are_read_whole()
    {
        using var dir = new TempDir();
        string text = string.Concat(Enumerable.Range(0, 300).Select(i => $"line {i}\n"));
        byte[] whole = Gzip(text);
        string cut = dir.WriteBytes("in/cut.txt.gz", whole[..(whole.Length * 2 / 3)]);
        dir.WriteBytes("in/two.txt.gz", [.. Gzip("first member, "), .. Gzip("second member")]);
        var warnings = new List<string>();

        var read = CorpusReader.Load([Path.Combine(dir.Path, "in")], new CorpusReadOptions { Warn = warnings.Add });

        Assert.Equal(["first member, second member"], read.Documents);
        Assert.Equal((cut, SkipKind.NotText), (Assert.Single(read.Skipped).Path, read.Skipped[0].Kind));
        Assert.Contains("truncated or corrupt", Assert.Single(warnings));
    }

    [Fact]
    public void Files_that_are_not_utf8_text_are_skipped_with_one_warning_line_each()
    {
        using var dir = new TempDir();
        dir.Write("in/a_good.txt", "good text");
        string latin1 = dir.WriteBytes("in/b_latin1.txt", [0x63, 0x61, 0x66, 0xE9]);            // "café" in Latin-1
        string binary = dir.WriteBytes("in/c_index.dat", [0x02, 0x00, 0x00, 0x00, 0x41]);      // valid UTF-8, but NUL bytes
        string corrupt = dir.WriteBytes("in/d_broken.gz", [0x1F, 0x8B, 0x08, 0x00, 0x01, 0x02]);
        string empty = dir.Write("in/e_empty.txt", "");
        dir.Write("in/f_good.txt", "more text");
        var warnings = new List<string>();

        var info = CorpusPreparer.Prepare([Path.Combine(dir.Path, "in")], Path.Combine(dir.Path, "out"), "byte", 0.5,
            read: new CorpusReadOptions { Warn = warnings.Add });

        Assert.Equal(4, warnings.Count);
        Assert.Equal($"{latin1}: not UTF-8 text: invalid UTF-8 at byte offset 3 (byte 0xE9); skipped", warnings[0]);
        Assert.Equal($"{binary}: not UTF-8 text: a NUL byte at byte offset 1 (binary, or UTF-16); skipped", warnings[1]);
        Assert.Equal($"{corrupt}: not a valid gzip file (6 bytes, shorter than a gzip header and trailer); skipped", warnings[2]);
        Assert.Equal($"{empty}: is empty (0 bytes); skipped", warnings[3]);
        Assert.Equal(["a_good.txt", "f_good.txt"], info.Meta.Files.Select(f => Path.GetFileName(f.Path)));
        Assert.Equal([(latin1, SkipKind.NotText), (binary, SkipKind.NotText), (corrupt, SkipKind.NotText), (empty, SkipKind.NoDocuments)],
            info.Meta.Skipped.Select(s => (s.Path, s.Kind)));
        Assert.Equal(2L, info.Meta.Train.Documents + info.Meta.Val.Documents);
    }

    [Fact]
    public void Under_strict_a_file_that_is_not_text_is_an_error_naming_it_and_nothing_is_written()
    {
        using var dir = new TempDir();
        dir.Write("in/a_good.txt", "good text");
        string binary = dir.WriteBytes("in/b_index.dat", [0x41, 0x00]);
        string outDir = Path.Combine(dir.Path, "out");

        var e = Assert.Throws<DataException>(() => CorpusPreparer.Prepare([Path.Combine(dir.Path, "in")], outDir, "byte",
            read: new CorpusReadOptions { Strict = true }));

        Assert.Equal(binary, e.Path);
        Assert.StartsWith($"{binary}: not UTF-8 text: a NUL byte at byte offset 1", e.Message);
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void A_folder_with_nothing_usable_is_an_error_naming_the_folder()
    {
        using var dir = new TempDir();
        string folder = Path.Combine(dir.Path, "in");
        dir.WriteBytes("in/index.dat", [0x41, 0x00]);
        dir.Write("in/blank.txt", " \n");
        dir.Write("other/ok.txt", "fine");

        var e = Assert.Throws<DataException>(() => CorpusReader.Load([Path.Combine(dir.Path, "other"), folder]));

        Assert.Equal(folder, e.Path);
        Assert.Equal($"{folder}: has no usable text: 1 not UTF-8 text, 1 without documents", e.Message);
    }

    [Fact]
    public void Text_field_names_the_jsonl_field_and_bad_lines_warn_with_file_and_line()
    {
        using var dir = new TempDir();
        string file = dir.Write("docs.jsonl", "{\"body\": \"one\"}\n{\"text\": \"no body\"}\nnot json\n\n{\"body\": 7}\n{\"body\": \"two\"}\n");
        var warnings = new List<string>();

        var text = CorpusReader.Load([file], new CorpusReadOptions { TextField = "body", Warn = warnings.Add });

        Assert.Equal(["one", "two"], text.Documents);
        Assert.Equal(3, text.Files[0].SkippedLines);
        Assert.Equal(3, warnings.Count);
        Assert.StartsWith($"{file}:2: expected a JSON object with a string field \"body\"", warnings[0]);
        Assert.StartsWith($"{file}:3: invalid JSON", warnings[1]);
        Assert.StartsWith($"{file}:5: expected a JSON object with a string field \"body\"", warnings[2]);
        var strict = Assert.Throws<DataException>(() => CorpusReader.Load([file], new CorpusReadOptions { TextField = "body", Strict = true }));
        Assert.StartsWith($"{file}: line 2: ", strict.Message);
    }

    [Fact]
    public void Many_bad_jsonl_lines_give_three_warnings_and_a_count_and_a_wrong_field_names_the_option()
    {
        using var dir = new TempDir();
        string file = dir.Write("in/docs.jsonl", string.Concat(Enumerable.Range(0, 10).Select(i => $"{{\"content\": \"doc {i}\"}}\n")));
        dir.Write("in/good.jsonl", "{\"text\": \"fine\"}\n");
        var warnings = new List<string>();

        var text = CorpusReader.Load([Path.Combine(dir.Path, "in")], new CorpusReadOptions { Warn = warnings.Add });
        var warningsByName = new List<string>();
        var e = Assert.Throws<DataException>(() => CorpusReader.Load([file], new CorpusReadOptions { Warn = warningsByName.Add }));

        Assert.Equal(4, warningsByName.Count);                                          // the lines warn; the file itself is the error
        Assert.Equal(5, warnings.Count);
        Assert.Equal($"{file}: 7 more bad lines skipped (10 in all)", warnings[3]);
        Assert.StartsWith($"{file}: has no documents: all 10 JSONL lines lack a string field \"text\"", warnings[4]);
        Assert.Equal(["fine"], text.Documents);
        Assert.Equal(SkipKind.NoDocuments, Assert.Single(text.Skipped).Kind);
        Assert.Contains("(--text-field)", e.Message);
    }

    [Fact]
    public void Symlinked_duplicates_and_a_file_given_twice_are_read_once_keeping_the_real_file()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var dir = new TempDir();
        string folder = Path.Combine(dir.Path, "licenses");
        string gpl3 = dir.Write("licenses/GPL-3", "GNU GENERAL PUBLIC LICENSE Version 3");
        dir.Write("licenses/MIT", "MIT License");
        string gpl = Path.Combine(folder, "GPL");
        File.CreateSymbolicLink(gpl, "GPL-3");                                           // sorts before GPL-3, yet GPL-3 is kept
        string loop = Path.Combine(folder, "loop");
        Directory.CreateSymbolicLink(loop, ".");                                         // a symlink loop ends
        string mit = Path.Combine(folder, "MIT");

        var text = CorpusReader.Load([folder, mit]);

        Assert.Equal(["GNU GENERAL PUBLIC LICENSE Version 3", "MIT License"], text.Documents);
        Assert.Equal([gpl3, mit], text.Files.Select(f => f.Path));
        Assert.Equal([
            (gpl, $"same file as {gpl3} (read once)"),
            (mit, $"same file as {mit} (read once)"),
            (loop, $"same folder as {folder} (read once)"),
        ], text.Skipped.Select(s => (s.Path, s.Reason)));
        Assert.All(text.Skipped, s => Assert.Equal(SkipKind.Duplicate, s.Kind));
        Assert.Equal(36L, CorpusReader.Load([gpl]).Files[0].Bytes);                     // the file's size, not the link's (5)
    }

    [Fact]
    public void A_symlinked_folder_is_read_once_and_the_output_folder_inside_an_input_is_never_read()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var dir = new TempDir();
        string input = Path.Combine(dir.Path, "in");
        dir.Write("in/real/a.txt", "alpha text");
        dir.Write("in/b.txt", "beta text");
        Directory.CreateSymbolicLink(Path.Combine(input, "alias"), "real");
        string outDir = Path.Combine(input, "corpus");

        var first = CorpusPreparer.Prepare([input], outDir, "byte", 0.5);
        var second = CorpusPreparer.Prepare([input], outDir, "byte", 0.5);        // the corpus of the first is inside "in" now

        Assert.Equal([Path.Combine(input, "b.txt"), Path.Combine(input, "real", "a.txt")], second.Meta.Files.Select(f => f.Path));
        Assert.Equal([(Path.Combine(input, "alias"), SkipKind.Duplicate), (outDir, SkipKind.OutputFolder)], second.Meta.Skipped.Select(s => (s.Path, s.Kind)));
        Assert.Equal(first.Meta.Train, second.Meta.Train);
        Assert.Equal(first.Meta.Val, second.Meta.Val);
    }

    [Fact]
    public void Meta_lists_each_file_with_its_tokens_per_split_and_they_add_up_to_the_shards()
    {
        using var dir = new TempDir();
        for (int f = 0; f < 6; f++)
            dir.Write($"in/{f}.txt", string.Concat(Enumerable.Repeat($"file {f} says hello. ", 5 + 7 * f)));
        dir.Write("in/poems", Samples.FortuneFile);

        var info = CorpusPreparer.Prepare([Path.Combine(dir.Path, "in")], Path.Combine(dir.Path, "out"), "gpt2", 0.3, 11);
        using var corpus = PreparedCorpus.Open(info.Directory);
        var reread = CorpusMeta.Read(info.MetaPath);

        Assert.Equal(info.Meta.Files, reread.Files);
        Assert.Equal(7, reread.Files.Count);
        Assert.Equal(corpus.Train.Length, reread.Files.Sum(f => f.TrainTokens));
        Assert.Equal(corpus.Val.Length, reread.Files.Sum(f => f.ValTokens));
        Assert.All(reread.Files.Where(f => f.Documents == 1), f => Assert.NotEqual("train+val", f.Split));
        Assert.Equal(SplitMethod.Documents, reread.Split);
        long longest = reread.Files.Max(f => f.Documents == 1 ? f.Tokens : 0);
        double total = corpus.Train.Length + corpus.Val.Length;
        Assert.InRange(corpus.Val.Length, 0.3 * total - longest, 0.3 * total + longest);
        Assert.Equal(corpus.Val.Length / total, reread.AchievedValFraction, 12);
    }

    [Fact]
    public void Skipping_and_gz_keep_the_output_byte_identical_across_runs()
    {
        using var dir = new TempDir();
        dir.WriteBytes("in/a.txt.gz", Gzip(string.Concat(Enumerable.Repeat("zipped words ", 50))));
        dir.WriteBytes("in/b.bin", [0x00, 0x01, 0x02]);
        dir.Write("in/c", Samples.FortuneFile);

        var one = CorpusPreparer.Prepare([Path.Combine(dir.Path, "in")], Path.Combine(dir.Path, "one"), "char", 0.25, 3);
        var two = CorpusPreparer.Prepare([Path.Combine(dir.Path, "in")], Path.Combine(dir.Path, "two"), "char", 0.25, 3);

        Assert.Equal(File.ReadAllBytes(one.TrainPath), File.ReadAllBytes(two.TrainPath));
        Assert.Equal(File.ReadAllBytes(one.ValPath), File.ReadAllBytes(two.ValPath));
        Assert.Equal(one.Meta.Train.Checksum, two.Meta.Train.Checksum);
        Assert.Equal(one.Meta.Files, two.Meta.Files);
        Assert.Equal(one.Meta.Skipped, two.Meta.Skipped);
    }

    [Fact]
    public void A_meta_json_from_before_files_and_split_were_recorded_still_opens()
    {
        using var dir = new TempDir();
        var info = CorpusPreparer.Prepare([dir.Write("a.txt", Samples.FortuneFile)], Path.Combine(dir.Path, "out"), "char", 0.3, 1);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(info.MetaPath))!.AsObject();
        foreach (string key in new[] { "files", "skipped", "split", "text_field", "achieved_val_fraction" })
            Assert.True(json.Remove(key), key);
        File.WriteAllText(info.MetaPath, json.ToJsonString());

        using var corpus = PreparedCorpus.Open(info.Directory);

        Assert.Equal((0, 0, SplitMethod.Documents, "text"), (corpus.Meta.Files.Count, corpus.Meta.Skipped.Count, corpus.Meta.Split, corpus.Meta.TextField));
        Assert.Equal(info.Meta.Val.Tokens, corpus.Val.Length);
    }
}
