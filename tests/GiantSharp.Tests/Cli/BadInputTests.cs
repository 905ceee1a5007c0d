using System.Text;
using GiantSharp.Data;

namespace GiantSharp.Tests.Cli;

/// <summary>Every bad input gets one clear line naming the key or file, and a non-zero exit code (end to end, through the CLI).</summary>
public class BadInputTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "giant-cli-" + Guid.NewGuid().ToString("N"));

    public BadInputTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text) { var p = Path.Combine(_dir, name); File.WriteAllText(p, text); return p; }

    private static void AssertFails(GiantProcess.Result r, string mustContain)
    {
        Assert.NotEqual(0, r.ExitCode);
        var lines = r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.Contains(mustContain, lines[0]);
        Assert.DoesNotContain("   at ", r.StdErr);
    }

    [Theory]
    [InlineData("train", "--threads", "abc", "as a whole number")]
    [InlineData("info", "--vocab-size", "x", "as a whole number")]
    [InlineData("generate", "--temperature", "hot", "as a number")]
    public void An_option_value_of_the_wrong_kind_names_the_kind_not_a_dotnet_type(string command, string option, string value, string kind)
    {
        var r = GiantProcess.Run(_dir, command, "tang-tiny", option, value);
        Assert.Equal(2, r.ExitCode);
        AssertFails(r, $"'{option}' {kind}");
        Assert.DoesNotContain("System.", r.StdErr);
    }

    private string Config(string dataDir, string extra = "") => Write("run.json", $$"""
        { "data": { "dir": "{{dataDir}}" }, "out_dir": "{{Path.Combine(_dir, "run")}}",
          "model": { "n_layer": 2, "n_head": 2, "d_model": 16, "d_ff": 32, "seq_len": 16 {{extra}} },
          "stages": [ { "name": "pseudo", "sharing": "all", "steps": 2, "micro_batch": 2, "global_batch": 2 } ],
          "eval": { "every": 0, "sequences": 2 } }
        """);

    [Fact]
    public void Missing_corpus() =>
        AssertFails(GiantProcess.Run(_dir, "prepare", Path.Combine(_dir, "nope.txt"), "--out", Path.Combine(_dir, "o"), "--tokenizer", "char"), "nope.txt");

    [Fact]
    public void Empty_corpus() =>
        AssertFails(GiantProcess.Run(_dir, "prepare", Write("empty.txt", ""), "--out", Path.Combine(_dir, "o"), "--tokenizer", "char"), "empty.txt");

    [Fact]
    public void Non_utf8_text()
    {
        var p = Path.Combine(_dir, "latin1.txt");
        File.WriteAllBytes(p, Encoding.Latin1.GetBytes("caf\u00e9\n%\nna\u00efve\n"));
        AssertFails(GiantProcess.Run(_dir, "prepare", p, "--out", Path.Combine(_dir, "o"), "--tokenizer", "char"), "latin1.txt");
    }

    [Fact]
    public void Unknown_tokenizer() =>
        AssertFails(GiantProcess.Run(_dir, "prepare", Write("a.txt", "x\n%\ny\n"), "--out", Path.Combine(_dir, "o"), "--tokenizer", "wordpiece"), "tokenizer");

    [Fact]
    public void Invalid_config_names_the_key() =>
        AssertFails(GiantProcess.Run(_dir, "train", Config(_dir, ", \"d_model\": 17")), "model.d_model");

    [Fact]
    public void Unknown_config_key_is_named() =>
        AssertFails(GiantProcess.Run(_dir, "train", Config(_dir, ", \"n_layers\": 3")), "n_layers");

    [Fact]
    public void Missing_prepared_corpus_names_the_folder() =>
        AssertFails(GiantProcess.Run(_dir, "train", Config(Path.Combine(_dir, "nodata"))), "nodata");

    [Fact]
    public void Corpus_shorter_than_seq_len_names_the_shard()
    {
        var data = Path.Combine(_dir, "short");
        CorpusPreparer.Prepare([Write("short.txt", "ab\n%\ncd\n%\nef\n")], data, "char", 0.3, 1);
        AssertFails(GiantProcess.Run(_dir, "train", Config(data)), ".bin");
    }

    [Fact]
    public void Mismatched_checkpoint_is_refused()
    {
        using var corpus = new TinyCorpus();
        var run = Config(corpus.Dir);
        Assert.Equal(0, GiantProcess.Run(_dir, "train", run, "--threads", "1").ExitCode);
        var other = Path.Combine(_dir, "other");
        CorpusPreparer.Prepare([Write("other.txt", "hello world\n%\nsomething else entirely\n%\nmore words here\n")], other, "byte", 0.3, 1);
        AssertFails(GiantProcess.Run(_dir, "eval", Path.Combine(_dir, "run"), other), "tokenizer");
        AssertFails(GiantProcess.Run(_dir, "train", run, "--resume", Path.Combine(_dir, "run"), "--set", "model.d_model=32"), "model");
    }

    [Fact]
    public void Unknown_delink_mode() =>
        AssertFails(GiantProcess.Run(_dir, "delink", _dir, Path.Combine(_dir, "x"), "--optimizer-state", "average"), _dir);
}
