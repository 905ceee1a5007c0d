using GiantSharp.Data;
using GiantSharp.Data.Images;
using GiantSharp.Errors;
using GiantSharp.Model;
using static TorchSharp.torch;

namespace GiantSharp.Tests.Multimodal;

/// <summary>The two task rows and the image-text corpus: preparation, batches, fit checks, damaged files.</summary>
public class ImageTextCorpusTests
{
    [Fact]
    public void Rows_follow_the_captioning_and_generation_layouts()
    {
        var codebook = new PatchCodebook(4, Enumerable.Range(0, 12).Select(i => (byte)(i * 20)).ToArray());
        var tok = ImageTextTokenizer.Build(["a sneaker", "a bag"], codebook, new ImagePatches(4, 4, 2));   // words a=0 bag=1 sneaker=2; eot 3, image 5, patch 6, codes 7..9
        var layout = new ImageTextLayout(tok, captionTokens: 3);
        Assert.Equal((4, 4, 6, 8), (layout.Patches, layout.PatchDim, layout.Channels, layout.SeqLen));
        int w = layout.SeqLen, c = layout.Channels;
        var x = new long[w * c];
        var y = new long[w];
        byte[] patches = [.. Enumerable.Range(1, 16).Select(i => (byte)i)];
        layout.CaptionRow(x, y, w, patches, [0, 2]);
        long[] ids = [.. Enumerable.Range(0, w).Select(t => x[t * c])], prefix = [.. Enumerable.Range(0, w).Select(t => x[t * c + 1])];
        Assert.Equal([5, 6, 6, 6, 6, 0, 2, 3], ids);                          // <image> 4 x <patch> a sneaker, padded with <eot>
        Assert.Equal([1, 1, 1, 1, 1, 0, 0, 0], prefix);
        Assert.Equal([-100, -100, -100, -100, 0, 2, 3, -100], y);             // the last patch predicts "a"; "sneaker" predicts <eot>
        Assert.Equal([5, 6, 7, 8], x.AsSpan(2 * c + 2, 4).ToArray());         // patch 1's pixels ride on position 2
        Assert.Equal(0, x[5 * c + 2]);                                         // no pixels on words

        layout.GenerationRow(x, y, w, [0, 1], [2, 0, 1], [2, 0, 1, 1]);
        ids = [.. Enumerable.Range(0, w).Select(t => x[t * c])];
        prefix = [.. Enumerable.Range(0, w).Select(t => x[t * c + 1])];
        Assert.Equal([0, 1, 5, 9, 7, 8, 3, 3], ids);                          // a bag <image> codes 2 0 1
        Assert.Equal([1, 1, 1, 0, 0, 0, 0, 0], prefix);
        Assert.Equal([-100, -100, 9, 7, 8, 8, -100, -100], y);                // <image> predicts the first code, N = 4 targets
        Assert.Throws<ArgumentException>(() => layout.CaptionRow(x, y, w, patches, [0, 0, 0, 0]));
    }

    [Fact]
    public void Prepared_corpus_has_splits_captions_codes_and_deterministic_batches()
    {
        using var data = new SyntheticImages(train: 20, test: 8);
        using var corpus = data.Prepare();
        Assert.Equal((16, 4, 8), (corpus.Train.Count, corpus.Val.Count, corpus.Test.Count));
        for (int i = 0; i < corpus.Train.Count; i++)
        {
            int label = corpus.Train.Label(i);
            Assert.Equal(label, Captions.ClassOf(corpus.Tokenizer.Decode(corpus.Train.Caption(i)), corpus.Classes));
            Assert.Equal(SyntheticImages.Image(label), corpus.Train.Pixels(i).ToArray());
        }
        var codes = Enumerable.Range(0, corpus.Train.Count).Select(i => corpus.Train.Codes(i)).ToList();
        var first = Enumerable.Range(0, corpus.Train.Count).First(i => corpus.Train.Label(i) == 1);
        Assert.All(Enumerable.Range(0, corpus.Train.Count).Where(i => corpus.Train.Label(i) == 1), i => Assert.Equal(codes[first], codes[i]));

        using var scope = NewDisposeScope();
        var (x1, y1) = corpus.TrainBatch(16, seed: 3, index: 5, batchSize: 4);
        var (x2, y2) = corpus.TrainBatch(16, seed: 3, index: 5, batchSize: 4);
        Assert.Equal([4L, corpus.Layout.SeqLen, 2 + 16], x1.shape);
        Assert.True(x1.eq(x2).all().item<bool>() && y1.eq(y2).all().item<bool>());
        Assert.False(x1.eq(corpus.TrainBatch(16, 3, 6, 4).X).all().item<bool>());
        var prefix = ModelInput.PrefixLengths(x1)!;
        Assert.Equal([5, 5], new[] { prefix[1], prefix[3] });                            // (index + row) even: captioning, prefix <image> + 4 patches
        Assert.InRange(prefix[0], 2, 9);                                                  // odd: generation, prefix = caption words + <image>
        Assert.Equal(2, corpus.ValBatchCount(8, 4));
        Assert.Equal(8, Enumerable.Range(0, 2).Sum(i => (int)corpus.ValBatch(16, 8, 4, i).X.shape[0]));

        var seq = Assert.Throws<GiantSharp.Errors.ConfigException>(() => corpus.EnsureFits(8, 16));
        Assert.Equal("model.seq_len", seq.Key);
        Assert.Equal("model.patch_dim", Assert.Throws<GiantSharp.Errors.ConfigException>(() => corpus.EnsureFits(16, 4)).Key);
    }

    [Fact]
    public void A_damaged_split_or_meta_is_refused_naming_the_file()
    {
        using var data = new SyntheticImages();
        data.Prepare().Dispose();
        var val = Path.Combine(data.CorpusDir, ImageTextPreparer.ValFileName);
        File.WriteAllBytes(val, File.ReadAllBytes(val)[..^3]);
        var e = Assert.Throws<DataException>(() => ImageTextCorpus.Open(data.CorpusDir));
        Assert.Contains(val, e.Message);
        Assert.Contains("truncated", e.Message);
        File.WriteAllText(Path.Combine(data.CorpusDir, ImageTextMeta.FileName), "{ not json");
        Assert.Contains(ImageTextMeta.FileName, Assert.Throws<DataException>(() => ImageTextCorpus.Open(data.CorpusDir)).Message);
    }

    [Fact]
    public void Provisioner_prepares_an_idx_folder_once_and_refuses_other_image_settings()
    {
        using var data = new SyntheticImages();
        var config = data.Run(1, 1).Data;
        var lines = new List<string>();
        using (var corpus = GiantSharp.Config.CorpusProvisioner.Open(config, 1234, lines.Add))
            Assert.IsType<ImageTextCorpus>(corpus);
        Assert.Contains(lines, l => l.Contains("preparing images"));
        lines.Clear();
        using (GiantSharp.Config.CorpusProvisioner.Open(config, 1234, lines.Add)) { }
        Assert.Empty(lines);                                                              // reused
        var other = config with { Images = config.Images! with { Codes = 6 } };
        Assert.Contains("codes 8, not 6", Assert.Throws<DataException>(() => GiantSharp.Config.CorpusProvisioner.Open(other)).Message);
    }
}
