using System.CommandLine;
using GiantSharp.Cli;
using GiantSharp.Cli.Commands;

namespace GiantSharp.Tests.Data;

public class PrepareCommandTests
{
    /// <summary>Runs <c>giant ARGS</c> in-process the way Program.cs does; returns the exit code and what the command printed (stdout and stderr together).</summary>
    private static (int Exit, string Output) Giant(params string[] args)
    {
        var (exit, output, error) = GiantApart(args);
        return (exit, output + error);
    }

    /// <summary>As <see cref="Giant"/>, with stdout and stderr apart.</summary>
    private static (int Exit, string Output, string Error) GiantApart(params string[] args)
    {
        var root = new RootCommand("giant");
        root.Subcommands.Add(PrepareCommand.Create());
        var (output, error) = (new StringWriter(), new StringWriter());
        var config = new InvocationConfiguration { EnableDefaultExceptionHandler = false, Output = output, Error = error };
        int exit = CliErrors.Run(() => root.Parse(args).Invoke(config));
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public void Prepare_writes_the_corpus_and_prints_a_summary()
    {
        using var dir = new TempDir();
        string input = dir.Write("poems", Samples.FortuneFile);
        string outDir = Path.Combine(dir.Path, "out");

        var (exit, output) = Giant("prepare", input, "--out", outDir, "--tokenizer", "char", "--val-fraction", "0.3", "--seed", "5");

        using var meta = GiantSharp.Data.PreparedCorpus.Open(outDir);
        Assert.Equal(0, exit);
        Assert.Contains("read        1 file (", output);
        Assert.Contains("split       by documents (seed 5): train 2   val 1", output);
        Assert.Contains($"tokens      train {meta.Meta.Train.Tokens}   val {meta.Meta.Val.Tokens}   val fraction {meta.Meta.AchievedValFraction:F4} (asked 0.3)", output);
        Assert.Contains(Path.Combine(outDir, "train.bin"), output);
        using var corpus = GiantSharp.Data.PreparedCorpus.Open(outDir);
        Assert.Equal(5, corpus.Meta.Seed);
        Assert.Equal("char", corpus.Tokenizer.Kind);
    }

    [Fact]
    public void Missing_input_exits_with_the_data_error_code()
    {
        using var dir = new TempDir();

        var (exit, _) = Giant("prepare", Path.Combine(dir.Path, "missing.txt"), "--out", Path.Combine(dir.Path, "out"), "--tokenizer", "byte");

        Assert.Equal(CliErrors.DataError, exit);
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "out")));
    }

    [Fact]
    public void Unknown_tokenizer_exits_with_the_user_error_code()
    {
        using var dir = new TempDir();
        string input = dir.Write("poems", Samples.FortuneFile);

        var (exit, _) = Giant("prepare", input, "--out", Path.Combine(dir.Path, "out"), "--tokenizer", "sentencepiece");

        Assert.Equal(CliErrors.UserError, exit);
    }

    [Fact]
    public void Missing_out_option_is_a_parse_error()
    {
        var (exit, output) = Giant("prepare", "corpus.txt", "--tokenizer", "byte");

        Assert.NotEqual(0, exit);
        Assert.Contains("--out", output);
    }

    [Fact]
    public void Skipped_files_warn_on_stderr_one_line_each_and_strict_exits_with_the_data_error_code()
    {
        using var dir = new TempDir();
        string input = Path.Combine(dir.Path, "in");
        dir.Write("in/a.txt", "some text to train on");
        string binary = dir.WriteBytes("in/b.dat", [0x41, 0x00, 0x42]);
        string latin1 = dir.WriteBytes("in/c.txt", [0xE9, 0x74, 0xE9]);
        File.CreateSymbolicLink(Path.Combine(input, "d.txt"), "a.txt");

        var (exit, output, error) = GiantApart("prepare", input, "--out", Path.Combine(dir.Path, "out"), "--tokenizer", "byte");
        var (strictExit, _, strictError) = GiantApart("prepare", input, "--out", Path.Combine(dir.Path, "strict"), "--tokenizer", "byte", "--strict");

        Assert.Equal(0, exit);
        Assert.Equal([
            $"giant: warning: {binary}: not UTF-8 text: a NUL byte at byte offset 1 (binary, or UTF-16); skipped",
            $"giant: warning: {latin1}: not UTF-8 text: invalid UTF-8 at byte offset 0 (byte 0xE9); skipped",
        ], error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("skipped     3: 1 duplicates (read once), 2 not UTF-8 text", output);
        Assert.Contains($"duplicate   {Path.Combine(input, "d.txt")}: same file as {Path.Combine(input, "a.txt")} (read once)", output);
        Assert.Contains("split       one document, by position: the first 90% of its tokens train, the rest val", output);
        Assert.Contains("tokens      train 20   val 3   val fraction 0.1304 (asked 0.1)", output);   // 21 bytes: 19 + EOT, 2 + EOT
        Assert.Equal(CliErrors.DataError, strictExit);
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "strict")));
    }

    [Fact]
    public void Text_field_reads_another_jsonl_field()
    {
        using var dir = new TempDir();
        string input = dir.Write("docs.jsonl", "{\"content\": \"first document\"}\n{\"content\": \"second document\"}\n");
        string outDir = Path.Combine(dir.Path, "out");

        var (exit, output, error) = GiantApart("prepare", input, "--out", outDir, "--tokenizer", "char", "--text-field", "content", "--val-fraction", "0.5");
        var (wrongExit, _, _) = GiantApart("prepare", input, "--out", Path.Combine(dir.Path, "wrong"), "--tokenizer", "char");

        Assert.Equal((0, ""), (exit, error));
        using var corpus = GiantSharp.Data.PreparedCorpus.Open(outDir);
        Assert.Equal("content", corpus.Meta.TextField);
        Assert.Equal(2, corpus.Meta.Files[0].Documents);
        Assert.Equal(CliErrors.DataError, wrongExit);
        Assert.Contains("read        1 file ", output);
    }
}
