using GiantSharp.Checkpointing;
using GiantSharp.Data.Images;
using GiantSharp.Model;
using GiantSharp.Multimodal;
using GiantSharp.Offload;
using GiantSharp.Tests.Training;
using GiantSharp.Training;
using static TorchSharp.torch;

namespace GiantSharp.Tests.Multimodal;

/// <summary>
/// The engine on the image-text model: Pseudo-to-Real training learns both tasks; the offloaded Real Giant (dense or
/// MoE experts) gives the resident run's numbers; a stopped run resumes exactly.
/// </summary>
[Collection(GiantSharp.Tests.Offload.OffloadCollection.Name)]
public class MultimodalTrainingTests
{
    [Fact]
    public void Tiny_model_overfits_a_few_image_caption_pairs_in_both_directions()
    {
        using var data = new SyntheticImages();
        using var corpus = data.Prepare();
        var train = corpus.Train;
        var pairs = Enumerable.Range(0, SyntheticImages.Classes).Select(c => Enumerable.Range(0, train.Count).First(i => train.Label(i) == c)).ToArray();
        var captions = pairs.Select(i => corpus.Tokenizer.Encode(corpus.Classes[train.Label(i)])).ToArray();   // "a t-shirt", "a pair of trousers", ...
        using var scope = NewDisposeScope();
        var (x, y) = Rows(corpus, pairs, captions);                                              // both tasks for each pair: one batch of 8 rows

        // Pseudo Giant for 100 steps, delinked, Real Giant for 100 more: the engine's path, on one batch.
        var config = data.Run(1, 1).Model with { Positional = "rope", VocabSize = corpus.Tokenizer.VocabSize };
        using var model = TinyModels.Build(config, GiantSharp.Sharing.SharingPlan.All);
        model.train();
        using var optimizer = new GiantSharp.Training.Optim.AdamW(new GiantSharp.Training.Optim.AdamWOptions());
        var step = new GiantSharp.Training.Steps.ResidentTrainStep();
        double first = 0, last = 0;
        for (int s = 0; s < 200; s++)
        {
            if (s == 100) GiantSharp.Sharing.Delinker.Delink(model, optimizer);
            last = step.Step(model, optimizer, [new(x, y)], 1e-2, 1.0).Loss;
            if (s == 0) first = last;
        }
        Assert.True(last < 0.01, $"loss {first:F3} -> {last:F4}");

        var said = ImageCaptioner.Caption(model, corpus.Layout, pairs.Select(train.Patches).ToList());
        for (int k = 0; k < pairs.Length; k++)
        {
            Assert.Equal(captions[k], said[k]);                                                   // image -> text
            Assert.Equal(train.Codes(pairs[k]), ImageGenerator.Generate(model, corpus.Layout, captions[k], 1, temperature: 0)[0]);   // text -> image
        }
    }

    private static (Tensor X, Tensor Y) Rows(ImageTextCorpus corpus, int[] examples, int[][] captions)
    {
        var layout = corpus.Layout;
        int width = layout.SeqLen, c = layout.Channels, n = examples.Length;
        var x = new long[2 * n * width * c];
        var y = new long[2 * n * width];
        for (int k = 0; k < n; k++)
        {
            var codes = corpus.Train.Codes(examples[k]);
            layout.CaptionRow(x.AsSpan(2 * k * width * c, width * c), y.AsSpan(2 * k * width, width), width, corpus.Train.Patches(examples[k]), captions[k]);
            layout.GenerationRow(x.AsSpan((2 * k + 1) * width * c, width * c), y.AsSpan((2 * k + 1) * width, width), width, captions[k], codes[..^1], codes);
        }
        return (tensor(x, [2 * n, width, c], ScalarType.Int64), tensor(y, [2 * n, width], ScalarType.Int64));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Offloaded_real_giant_equals_the_resident_run(bool moeExpertsOnly)
    {
        using var data = new SyntheticImages();
        using var corpus = data.Prepare();
        var resident = data.Run(pseudoSteps: 3, realSteps: 4, name: "res") with { Model = data.Run(1, 1).Model with { Dropout = 0.1 }, Eval = new() { Every = 2, Sequences = 8 } };
        if (moeExpertsOnly) resident = resident with { Model = resident.Model with { Moe = new MoeConfig { NumExperts = 4, NumPrototypes = 2, CapacityFactor = 1.25, AuxLossCoef = 0.01, MoeEvery = 1 } } };
        var offloaded = resident with
        {
            Name = "off", OutDir = Path.Combine(data.Root, "runs", "off"),
            Stages = [resident.Stages[0] with { Offload = false }, resident.Stages[1]],
            Offload = new OffloadConfig { Params = Tier.Disk, Grads = Tier.Host, Optimizer = Tier.Disk, Prefetch = 1, Dir = Path.Combine(data.Root, "nvme"), Tensors = moeExpertsOnly ? OffloadTensors.Experts : OffloadTensors.All },
        };
        var (a, b) = (new RecordingObserver(), new RecordingObserver());
        using var reference = new Trainer(resident.Validate(), corpus, [a]);
        reference.Run();
        using var trainer = new Trainer(offloaded.Validate(), corpus, [b]);
        trainer.Run();
        Assert.Equal(a.Steps.Select(s => s.Loss), b.Steps.Select(s => s.Loss), (x, y) => Math.Abs(x - y) <= 1e-5);
        Assert.Equal(a.Evals.Select(e => e.ValLoss), b.Evals.Select(e => e.ValLoss), (x, y) => Math.Abs(x - y) <= 1e-5);
        Assert.Contains(trainer.Model.named_parameters(), p => p.parameter.numel() == 0);       // something was streamed
        trainer.BringBackOffloaded();
        Assert.True(GiantSharp.Tests.Offload.OffloadFixtures.MaxRelativeDiff(trainer.Model, reference.Model) <= 1e-5);
    }

    [Fact]
    public void Multimodal_run_resumes_from_its_checkpoint_as_if_uninterrupted_and_reads_back()
    {
        using var data = new SyntheticImages();
        using var corpus = data.Prepare();
        var config = data.Run(pseudoSteps: 4, realSteps: 6) with { Model = data.Run(1, 1).Model with { Dropout = 0.1 }, Eval = new() { Every = 3, Sequences = 8 } };
        RunChecks.AssertResumeEqualsUninterrupted(config, corpus, stopAt: 4);
        using var loaded = LoadedCheckpoint.Open(config.OutDir);
        var tokenizer = Assert.IsType<ImageTextTokenizer>(loaded.Tokenizer);                      // the checkpoint decodes images on its own
        Assert.Equal(corpus.Tokenizer.Identity, tokenizer.Identity);
        Assert.Equal(corpus.Tokenizer.Codebook.Centroids, tokenizer.Codebook.Centroids);
        Assert.Equal(16, loaded.Config.Model.PatchDim);
    }
}
