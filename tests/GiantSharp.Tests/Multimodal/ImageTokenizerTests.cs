using GiantSharp.Data;
using GiantSharp.Data.Images;

namespace GiantSharp.Tests.Multimodal;

/// <summary>The image tokenizer (patches, k-means codebook) and the caption-word + code vocabulary.</summary>
public class ImageTokenizerTests
{
    private const string FashionMnist = "/usr/share/datasets/fashion-mnist";

    [Fact]
    public void Patches_cut_and_join_back_to_the_image()
    {
        var geometry = new ImagePatches(8, 12, 4).Validate();
        var image = Enumerable.Range(0, 96).Select(i => (byte)i).ToArray();
        var patches = new byte[96];
        geometry.Cut(image, patches);
        Assert.Equal([0, 1, 2, 3, 12, 13, 14, 15, 24, 25, 26, 27, 36, 37, 38, 39], patches[..16]);   // patch 0: rows 0-3, columns 0-3
        Assert.Equal([4, 5, 6, 7], patches[16..20]);                                                    // patch 1 starts at column 4
        var back = new byte[96];
        geometry.Join(patches, back);
        Assert.Equal(image, back);
        Assert.Equal(6, geometry.Count);
        Assert.Throws<GiantSharp.Errors.ConfigException>(() => new ImagePatches(28, 28, 5).Validate());
    }

    [Fact]
    public void Round_trip_is_exact_for_prototypes_and_bounded_by_the_nearest_prototype_on_real_images()
    {
        var test = LabeledImages.Read(Path.Combine(FashionMnist, "t10k-images-idx3-ubyte.gz"), Path.Combine(FashionMnist, "t10k-labels-idx1-ubyte.gz"));
        var geometry = new ImagePatches(28, 28, 4);
        var patches = geometry.CutAll(test.Pixels.AsSpan(0, 2000 * 784));                  // the first 2,000 images learn the codebook
        long live = TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        var codebook = PatchCodebook.Train(patches, 16, 64, seed: 5, samples: 20_000, iterations: 8);
        Assert.Equal(64, codebook.Codes);
        Assert.Equal(live, TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount);   // learning leaves no tensor behind

        // A patch that is a prototype comes back exactly.
        var codes = Enumerable.Range(0, 64).ToArray();
        Assert.Equal(codes, codebook.Encode(codebook.Decode(codes)));

        // Other images: each patch comes back as its nearest prototype (brute force), so the error is bounded by it.
        var held = geometry.CutAll(test.Pixels.AsSpan(5000 * 784, 200 * 784));
        var back = codebook.Decode(codebook.Encode(held));
        for (int p = 0; p < held.Length / 16; p++)
        {
            long best = long.MaxValue;
            for (int k = 0; k < 64; k++) best = Math.Min(best, Sq(held.AsSpan(p * 16, 16), codebook.Centroids.AsSpan(k * 16, 16)));
            Assert.Equal(best, Sq(held.AsSpan(p * 16, 16), back.AsSpan(p * 16, 16)));
        }
        var rmse = codebook.Rmse(held);
        Assert.InRange(rmse, 5, 40);                                                        // 64 codes of 4x4 patches: coarse, far from noise
        Assert.True(rmse < 0.5 * Rms(held), $"RMSE {rmse:F1} is not well below the images' own RMS {Rms(held):F1}");
    }

    [Fact]
    public void Tokenizer_ids_words_codes_and_spec_round_trip()
    {
        var codebook = new PatchCodebook(4, Enumerable.Range(0, 12).Select(i => (byte)(i * 20)).ToArray());
        var tok = ImageTextTokenizer.Build(["a sneaker", "a photo of an ankle boot"], codebook, new ImagePatches(4, 4, 2));
        Assert.Equal(["a", "an", "ankle", "boot", "of", "photo", "sneaker"], tok.Vocab);
        Assert.Equal((7, 8, 9, 10, 11), (tok.EndOfTextId, tok.UnknownId, tok.ImageId, tok.PatchId, tok.FirstCodeId));
        Assert.Equal(11 + 3, tok.VocabSize);
        Assert.Equal([0, 6], tok.Encode("A Sneaker!"));
        Assert.Equal([0, 8], tok.Encode("a hat"));
        Assert.Equal("a sneaker <|endoftext|> <image> <code:2> <unk>", tok.Decode([0, 6, 7, 9, 13, 99]));

        var back = (ImageTextTokenizer)TokenizerFactory.FromSpec(tok.ToSpec(), "meta.json");
        Assert.Equal(tok.Identity, back.Identity);
        Assert.Equal(tok.Codebook.Centroids, back.Codebook.Centroids);
        Assert.Equal(tok.Encode("a photo of an ankle boot"), back.Encode("a photo of an ankle boot"));
        var other = ImageTextTokenizer.Build(["a sneaker"], codebook, new ImagePatches(4, 4, 2));
        Assert.NotEqual(tok.Identity, other.Identity);
        var broken = tok.ToSpec() with { Image = tok.ToSpec().Image! with { Codes = 5 } };
        Assert.Contains("tokenizer.image", Assert.Throws<GiantSharp.Errors.DataException>(() => TokenizerFactory.FromSpec(broken, "meta.json")).Message);
    }

    [Fact]
    public void Captions_name_their_class_in_every_phrasing_and_are_read_back()
    {
        var classes = Captions.FashionMnist;
        for (int c = 0; c < classes.Count; c++)
            for (int t = 0; t < Captions.Templates.Count; t++)
                Assert.Equal(c, Captions.ClassOf(Captions.Write(classes[c], t), classes));
        Assert.Equal(6, Captions.ClassOf("a photo of a shirt", classes));                  // shirt, not t-shirt
        Assert.Equal(0, Captions.ClassOf("A T-shirt.", classes));
        Assert.Equal(-1, Captions.ClassOf("a shirt and a coat", classes));                 // two classes: neither
        Assert.Equal(-1, Captions.ClassOf("a photo of a", classes));
        Assert.Equal(-1, Captions.ClassOf("a pair of", classes));                          // part of a keyword
        Assert.Equal(["a cat", "an owl"], Captions.Classes("A cat, an owl"));
        Assert.Throws<GiantSharp.Errors.ConfigException>(() => Captions.Classes("cat"));
    }

    private static long Sq(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        long s = 0;
        for (int i = 0; i < a.Length; i++) s += (a[i] - b[i]) * (a[i] - b[i]);
        return s;
    }

    private static double Rms(byte[] x) => Math.Sqrt(x.Average(v => (double)v * v));
}
