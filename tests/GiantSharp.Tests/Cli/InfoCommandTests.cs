using System.Text.RegularExpressions;
using GiantSharp.Cli.Commands;
using GiantSharp.Config;
using GiantSharp.Model;
using GiantSharp.Offload;
using GiantSharp.Offload.Planning;

namespace GiantSharp.Tests.Cli;

public class InfoCommandTests
{
    private static string Flat(string text) => Regex.Replace(text, @"\s+", " ");

    [Fact]
    public void Info_reports_pseudo_and_real_sizes_of_the_m6_10t_shape()
    {
        var root = GiantSharp.Tests.Config.ConfigLoaderTests.RepoRoot();
        var r = GiantProcess.Run(root, "info", "configs/m6-10t.json");
        Assert.Equal(0, r.ExitCode);
        var run = ConfigLoader.Load(Path.Combine(root, "configs", "m6-10t.json"));
        var real = ModelSize.Of(run.Model, run.Model.NLayer);
        Assert.InRange(real.TotalParameters, 9.9e12, 10.2e12);
        Assert.Contains($"{real.TotalParameters / 1e12:F2} T", r.StdOut);
        Assert.Contains("parameters stored", r.StdOut);
        var free = Regex.Match(r.StdOut.ReplaceLineEndings(" "), @"([0-9.]+) ([KMGT]i)?B free disk at");
        Assert.True(free.Success, r.StdOut);                                 // was "0.0 KiB free disk" whenever the run had no disk tier
        Assert.NotEqual("0.0", free.Groups[1].Value);
    }

    /// <summary>Every shipped preset answers <c>giant info NAME</c> (the bench preset once failed on its top-level micro_batch), with its counts and a line per stage.</summary>
    [Fact]
    public void Info_works_for_every_preset_in_configs()
    {
        using var cwd = new TempDir();                                       // no prepared corpora here: vocab from the config or its tokenizer
        var presets = Directory.GetFiles(Path.Combine(GiantSharp.Tests.Config.ConfigLoaderTests.RepoRoot(), "configs"), "*.json");
        Assert.True(presets.Length >= 10, string.Join(", ", presets));
        foreach (var file in presets)
        {
            var name = Path.GetFileNameWithoutExtension(file);
            var r = GiantProcess.Run(cwd.Path, "info", name);
            Assert.True(r.ExitCode == 0, $"giant info {name}: exit {r.ExitCode}: {r.StdErr}");
            var run = ConfigLoader.Load(file);
            var vocab = run.Model.VocabSize > 0 ? run.Model.VocabSize : run.Data.Tokenizer is "byte" or "gpt2" ? GiantSharp.Data.TokenizerFactory.Create(run.Data.Tokenizer, Array.Empty<string>()).VocabSize : 0;
            var model = run.Model with { VocabSize = vocab };
            var output = Flat(r.StdOut);
            Assert.Contains($"vocab_size {vocab}", output);
            Assert.Matches($@"parameters stored .*{Regex.Escape(InfoCommand.Count(ModelSize.Of(model, model.NLayer).UniqueParameters))}", output);
            for (int si = 0; si < run.Stages.Count; si++)
            {
                var fit = StageFit.Of(run with { Model = model }, si, MachineResources.Probe(run.Offload?.Dir ?? run.OutDir));
                Assert.Contains($"stage {run.Stages[si].Name} ({run.Stages[si].Sharing}): activations {InfoCommand.Bytes(fit.ActivationBytes)} " +
                    $"for micro_batch {run.Stages[si].MicroBatch} x seq_len {model.SeqLen}; resident it needs {InfoCommand.Bytes(fit.ResidentBytes)};", output);
            }
        }
    }

    /// <summary>"Does a 1.3 B model fit in 8 GiB?": GPT-3 XL's shape from the GPT-2 preset streams the layers the planner says, with free disk measured where the store would go.</summary>
    [Fact]
    public void Info_answers_whether_a_1_3b_model_fits_a_budget_and_how()
    {
        using var dir = new TempDir();
        var store = Path.Combine(dir.Path, "not", "yet");
        string[] sets = ["--set", "model.n_layer=24", "--set", "model.d_model=2048", "--set", "model.n_head=16", "--set", "model.d_ff=8192"];
        var r = GiantProcess.Run(dir.Path, ["info", "gpt2-small-cpu", .. sets, "--max-memory", "8GiB", "--dir", store]);
        Assert.True(r.ExitCode == 0, r.StdErr);
        var output = Flat(r.StdOut);
        var run = ConfigLoader.Load(ConfigLoader.Resolve("gpt2-small-cpu"), ["model.n_layer=24", "model.d_model=2048", "model.n_head=16", "model.d_ff=8192", "offload.max_memory=8GiB", $"offload.dir={store}"]);
        Assert.InRange(ModelSize.Of(run.Model, 24).UniqueParameters, 1.3e9, 1.35e9);
        var fit = StageFit.Of(run, 0, MachineResources.Probe(store));
        Assert.Equal(FitVerdict.Streams, fit.Verdict);
        Assert.Contains($"streams {fit.StreamedLayers} of 24 layers from disk", output);
        Assert.InRange(fit.StreamedLayers, 1, 24);
        Assert.Contains($"free disk at {store} (measured at {dir.Path}, the nearest existing folder)", output);
        Assert.Contains("device cpu: device and host are the same memory", output);
        Assert.Contains("per stage, against max_memory 8GiB", output);

        var tight = GiantProcess.Run(dir.Path, ["info", "gpt2-small-cpu", .. sets, "--max-memory", "256MiB"]);
        Assert.Equal(0, tight.ExitCode);
        var minimum = StageFit.Of(run with { Offload = run.Offload! with { MaxMemory = 256L << 20 } }, 0, MachineResources.Probe(store)).MinimumBytes!.Value;
        Assert.Contains($"does not fit: max_memory 256MiB cannot hold even one streamed layer; max_memory must be at least {ByteSize.Format((minimum + (1L << 20) - 1) >> 20 << 20)}", Flat(tight.StdOut));

        var unsplit = GiantProcess.Run(dir.Path, "info", "gpt2-small-cpu", "--set", "model.d_model=2048", "--max-memory", "8GiB");
        Assert.Equal(2, unsplit.ExitCode);
        Assert.Contains("config 'model.d_model': 2048 is not divisible by n_head = 12; set n_head to 8 or 16 (head size 256 or 128)", unsplit.StdErr);
    }

    [Fact]
    public void Dir_without_a_budget_is_refused_naming_the_option()
    {
        using var dir = new TempDir();
        var r = GiantProcess.Run(dir.Path, "info", "tang-tiny", "--dir", dir.Path);
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("giant: error: config '--dir': ", r.StdErr);
    }
}
