using GiantSharp.Bench;
using GiantSharp.Model;

namespace GiantSharp.Tests.Bench;

public class TrainBenchTests
{
    private static readonly ModelConfig Small = new() { NLayer = 2, NHead = 2, DModel = 8, DFf = 32, VocabSize = 10, SeqLen = 4 };

    [Fact]
    public void Flops_per_token_match_a_hand_count()
    {
        // Per layer: attention 8*24 + 24 + 8*8 + 8 = 288; MLP 8*32 + 32 + 32*8 + 8 = 552; two LayerNorms 2*(8 + 8) = 32.
        // N = 2 * (288 + 552 + 32) + final LayerNorm 16 = 1760.
        Assert.Equal(1760, TrainingFlops.NonEmbeddingParameters(Small));
        // 6 N + 6 C V + 12 L C T = 10560 + 480 + 768.
        Assert.Equal(11808.0, TrainingFlops.PerToken(Small));
        // Without biases: attention 256, MLP 512, LayerNorms 16 per layer; N = 2 * 784 + 8.
        Assert.Equal(1576, TrainingFlops.NonEmbeddingParameters(Small with { Bias = false }));
    }

    [Theory]
    [InlineData(true, "learned")]
    [InlineData(false, "rope")]
    public void Non_embedding_count_equals_the_model_parameters_without_wte_and_wpe(bool bias, string positional)
    {
        var config = TinyModels.Config(positional: positional) with { Bias = bias };
        using var model = TinyModels.Build(config);
        var counted = model.named_parameters()
            .Where(np => !np.name.StartsWith("wte.", StringComparison.Ordinal) && !np.name.StartsWith("wpe.", StringComparison.Ordinal))
            .Sum(np => np.parameter.numel());
        Assert.Equal(counted, TrainingFlops.NonEmbeddingParameters(config));
    }

    [Fact]
    public void Gpt2_small_cpu_preset_resolves_by_name()
    {
        var preset = BenchPreset.Load("gpt2-small-cpu");
        Assert.Equal(new ModelConfig { NLayer = 12, NHead = 12, DModel = 768, DFf = 3072, VocabSize = 50257, SeqLen = 256, Dropout = 0, Bias = true }, preset.Model);
        Assert.Equal(8, preset.MicroBatch);
        Assert.Equal(85_056_000, TrainingFlops.NonEmbeddingParameters(preset.Model)); // GPT-2 small's 124M less wte and wpe
    }

    [Fact]
    public void Bad_presets_name_the_file_or_key()
    {
        Assert.Contains("no-such-preset", Assert.Throws<Errors.DataException>(() => BenchPreset.Load("no-such-preset")).Message);
        using var dir = new TempDir();
        var path = dir.Write("bad.json", """{ "model": { "n_layer": 2, "n_head": 3, "d_model": 8, "vocab_size": 10 }, "micro_batch": 1 }""");
        Assert.Equal("model.d_model", Assert.Throws<Errors.ConfigException>(() => BenchPreset.Load(path)).Key);
        path = dir.Write("batch.json", """{ "model": { "n_layer": 2, "n_head": 2, "d_model": 8, "vocab_size": 10 }, "micro_batch": 0 }""");
        Assert.Equal("micro_batch", Assert.Throws<Errors.ConfigException>(() => BenchPreset.Load(path)).Key);
        path = dir.Write("nomodel.json", """{ "micro_batch": 1 }""");
        Assert.Throws<Errors.DataException>(() => BenchPreset.Load(path));
    }

    [Fact]
    public void Bench_runs_end_to_end_on_a_tiny_preset()
    {
        using var dir = new TempDir();
        var path = dir.Write("tiny.json", """{ "model": { "n_layer": 2, "n_head": 2, "d_model": 32, "d_ff": 64, "vocab_size": 50, "seq_len": 16 }, "micro_batch": 2 }""");
        var options = new TrainBenchOptions { Steps = 1, Warmup = 0, PeakSizes = [64], PeakRepeats = 1 };
        var report = TrainBench.Run(BenchPreset.Load(path), [BenchPrecision.Fp32, BenchPrecision.Bf16], options);

        Assert.Equal([BenchPrecision.Fp32, BenchPrecision.Bf16], report.Results.Select(r => r.Precision));
        foreach (var r in report.Results)
        {
            Assert.Equal(32, r.TokensPerStep);
            foreach (var value in new[] { r.StepSeconds, r.TokensPerSecond, r.ModelFlopsPerSecond, r.PeakFlopsPerSecond, r.Mfu, r.Loss })
                Assert.True(double.IsFinite(value) && value > 0, $"{r.Precision}: {value}");
            Assert.InRange(r.Loss, 3.0, 5.0); // about ln 50 = 3.9 on random tokens
            Assert.InRange(r.OthersCpuShare, 0.0, 1.0);
        }
        var markdown = report.ToMarkdown("giant bench train --preset tiny.json");
        Assert.Contains("| fp32 |", markdown);
        Assert.Contains("| bf16 |", markdown);
    }

    [Fact]
    public void A_run_of_one_precision_keeps_the_recorded_subsection_of_the_other()
    {
        var preset = new BenchPreset { Model = Small, MicroBatch = 2 };
        var machine = new MachineInfo(2, "test cpu", 2);
        TrainBenchReport Report(BenchPrecision p, double seconds) =>
            new(machine, DateTimeOffset.UnixEpoch, preset, new TrainBenchOptions(), [new TrainBenchResult(p, 8, seconds, 1e8, 1e9, 2.3)]);

        var bf16Only = Report(BenchPrecision.Bf16, 4.0).ToMarkdown("giant bench train --dtype bf16");
        var both = Report(BenchPrecision.Fp32, 2.0).ToMarkdown("giant bench train --dtype fp32", bf16Only);
        var sections = BenchmarkDocument.Subsections(both);
        Assert.Equal(["fp32", "bf16"], sections.Select(s => s.Title));
        Assert.Contains("giant bench train --dtype fp32", sections[0].Text);
        Assert.Contains("| fp32 | 1.0 | 2.00 | 4 | 0.4 | 0.400 | 2.300 | n/a |", sections[0].Text);
        Assert.Equal(BenchmarkDocument.Subsections(bf16Only).Single(), sections[1]);
    }

    [Fact]
    public void Bf16_step_trains_the_fp32_master_close_to_fp32()
    {
        var config = TinyModels.Config(nLayer: 2);
        var idx = TinyModels.Tokens(config, seed: 5);
        var batch = new[] { new global::GiantSharp.Training.Steps.MicroBatch(idx, idx.roll(-1, 1)) };
        double Loss(bool bf16)
        {
            using var model = TinyModels.Build(config, seed: 9);
            model.train();
            using var optimizer = new global::GiantSharp.Training.Optim.AdamW(new global::GiantSharp.Training.Optim.AdamWOptions());
            using global::GiantSharp.Training.Steps.ITrainStep step = bf16 ? new global::GiantSharp.MixedPrecision.MixedPrecisionStep() : new global::GiantSharp.Training.Steps.ResidentTrainStep();
            var before = model.Head(model.Embed(idx)).sum().item<float>();
            step.Step(model, optimizer, batch, 1e-2, 1.0);
            var second = step.Step(model, optimizer, batch, 1e-2, 1.0).Loss;
            Assert.All(model.parameters(), p => Assert.Equal(TorchSharp.torch.ScalarType.Float32, p.dtype));
            Assert.NotEqual(before, model.Head(model.Embed(idx)).sum().item<float>());
            return second;
        }
        Assert.InRange(Loss(bf16: true) - Loss(bf16: false), -0.05, 0.05);
    }
}
