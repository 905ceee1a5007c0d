using System.CommandLine;
using GiantSharp.Cli;
using GiantSharp.Cli.Commands;

namespace GiantSharp.Tests.Data;

public class PrepareCommandTests
{
    /// <summary>Runs <c>giant ARGS</c> in-process the way Program.cs does; returns the exit code and what the command printed.</summary>
    private static (int Exit, string Output) Giant(params string[] args)
    {
        var root = new RootCommand("giant");
        root.Subcommands.Add(PrepareCommand.Create());
        var output = new StringWriter();
        var config = new InvocationConfiguration { EnableDefaultExceptionHandler = false, Output = output, Error = output };
        int exit = CliErrors.Run(() => root.Parse(args).Invoke(config));
        return (exit, output.ToString());
    }

    [Fact]
    public void Prepare_writes_the_corpus_and_prints_a_summary()
    {
        using var dir = new TempDir();
        string input = dir.Write("poems", Samples.FortuneFile);
        string outDir = Path.Combine(dir.Path, "out");

        var (exit, output) = Giant("prepare", input, "--out", outDir, "--tokenizer", "char", "--val-fraction", "0.3", "--seed", "5");

        Assert.Equal(0, exit);
        Assert.Contains("documents   train 2   val 1", output);
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
}
