using GiantSharp.Data;
using GiantSharp.Errors;

namespace GiantSharp.Tests.Data;

public class CorpusReaderTests
{
    [Fact]
    public void Fortune_format_splits_on_percent_lines_and_strips_ansi_codes()
    {
        Assert.Equal(Samples.FortuneDocs, CorpusReader.ParseFortune(Samples.FortuneFile));
    }

    [Fact]
    public void Fortune_format_keeps_lines_that_merely_contain_percent_and_handles_crlf()
    {
        string text = "100% sure\r\n%%\r\n%\r\nsecond\r\n%\r\n\r\n%\r\n";

        Assert.Equal(["100% sure\n%%", "second"], CorpusReader.ParseFortune(text));
    }

    [Fact]
    public void Auto_detects_fortune_files_by_their_percent_lines()
    {
        using var dir = new TempDir();
        string poems = dir.Write("tang", Samples.FortuneFile);
        string prose = dir.Write("prose.txt", "One document,\nwith 50% of a line.\n");

        Assert.Equal(Samples.FortuneDocs, CorpusReader.Read(poems));
        Assert.Equal(["One document,\nwith 50% of a line.\n"], CorpusReader.Read(prose));
        Assert.Equal([Samples.FortuneFile], CorpusReader.Read(poems, "text"));
        Assert.Equal(["One document,\nwith 50% of a line."], CorpusReader.Read(prose, "fortune"));
    }

    [Fact]
    public void Folder_is_read_recursively_in_path_order_skipping_hidden_files()
    {
        using var dir = new TempDir();
        dir.Write("b.txt", "bee");
        dir.Write("a/z.txt", "zed");
        dir.Write("a/c.jsonl", "{\"text\": \"see\"}\n\n{\"text\": \"sea\", \"id\": 2}\n");
        dir.Write(".hidden", "not me");

        Assert.Equal(["see", "sea", "zed", "bee"], CorpusReader.Read(dir.Path));
    }

    [Fact]
    public void Several_inputs_keep_their_order()
    {
        using var dir = new TempDir();
        string second = dir.Write("2.txt", "two");
        string first = dir.Write("1.txt", "one");

        Assert.Equal(["two", "one"], CorpusReader.Load([second, first]).Documents);
    }

    [Fact]
    public void Under_strict_a_jsonl_line_without_text_is_a_data_error_naming_file_and_line()
    {
        using var dir = new TempDir();
        string file = dir.Write("docs.jsonl", "{\"text\": \"ok\"}\n{\"body\": \"no text\"}\n");
        string broken = dir.Write("broken.jsonl", "{\"text\": \"ok\"}\n{\"text\": \n");
        var strict = new CorpusReadOptions { Strict = true };

        var missing = Assert.Throws<DataException>(() => CorpusReader.Load([file], strict));
        var invalid = Assert.Throws<DataException>(() => CorpusReader.Load([broken], strict));

        Assert.Equal(file, missing.Path);
        Assert.StartsWith($"{file}: line 2: expected a JSON object with a string field \"text\"", missing.Message);
        Assert.Equal(broken, invalid.Path);
        Assert.StartsWith($"{broken}: line 2: invalid JSON", invalid.Message);
        Assert.DoesNotContain('\n', invalid.Message);
    }

    [Theory]
    [InlineData(new byte[] { 0x6F, 0x6B, 0xFF, 0x21 }, 2)]             // "ok", a byte never valid in UTF-8
    [InlineData(new byte[] { 0x41, 0xE6, 0x98, 0x8E, 0xE6, 0x98 }, 4)] // "A明" then a cut-off "明"
    [InlineData(new byte[] { 0xEF, 0xBB, 0xBF, 0x41, 0xC0, 0xAF }, 4)] // BOM, "A", overlong "/"
    public void Invalid_utf8_is_a_data_error_naming_file_and_byte_offset(byte[] bytes, int offset)
    {
        using var dir = new TempDir();
        string file = dir.WriteBytes("latin1.txt", bytes);

        var e = Assert.Throws<DataException>(() => CorpusReader.Read(file));

        Assert.Equal(file, e.Path);
        Assert.Contains($"invalid UTF-8 at byte offset {offset}", e.Message);
    }

    [Fact]
    public void Utf8_bom_is_not_part_of_the_document()
    {
        using var dir = new TempDir();
        string file = dir.WriteBytes("bom.txt", [0xEF, 0xBB, 0xBF, .. "明月"u8.ToArray()]);

        Assert.Equal(["明月"], CorpusReader.Read(file));
    }

    [Fact]
    public void Empty_file_is_a_data_error()
    {
        using var dir = new TempDir();
        string file = dir.Write("empty.txt", "");

        var e = Assert.Throws<DataException>(() => CorpusReader.Read(file));

        Assert.Equal($"{file}: is empty (0 bytes)", e.Message);
    }

    [Fact]
    public void File_without_documents_is_a_data_error()
    {
        using var dir = new TempDir();
        string blank = dir.Write("blank.txt", " \n\t\n");
        string onlySeparators = dir.Write("seps", "%\n%\n");

        Assert.Equal(blank, Assert.Throws<DataException>(() => CorpusReader.Read(blank)).Path);
        Assert.Contains("has no documents", Assert.Throws<DataException>(() => CorpusReader.Read(onlySeparators)).Message);
    }

    [Fact]
    public void Missing_path_and_empty_folder_are_data_errors()
    {
        using var dir = new TempDir();
        string missing = Path.Combine(dir.Path, "nope.txt");

        Assert.Equal($"{missing}: does not exist", Assert.Throws<DataException>(() => CorpusReader.Read(missing)).Message);
        Assert.Equal(dir.Path, Assert.Throws<DataException>(() => CorpusReader.Read(dir.Path)).Path);
    }

    [Fact]
    public void Unknown_format_is_a_config_error_naming_format()
    {
        Assert.Equal("format", Assert.Throws<ConfigException>(() => CorpusReader.CheckFormat("xml")).Key);
    }

    [Fact]
    public void Real_tang300_reads_as_313_poems_without_escape_codes()
    {
        var poems = CorpusReader.Read(Samples.Tang300Path());

        Assert.Equal(313, poems.Count);
        Assert.All(poems, poem => Assert.DoesNotContain('\u001b', poem));
        Assert.All(poems, poem => Assert.StartsWith("《", poem));
        Assert.Contains(poems, poem => poem.Contains("床前明月光"));
    }
}
