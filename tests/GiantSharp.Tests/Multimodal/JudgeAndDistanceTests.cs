using GiantSharp.Multimodal;
using static TorchSharp.torch;

namespace GiantSharp.Tests.Multimodal;

/// <summary>The Fréchet distance against its closed form, and the judge's training, saving and loading.</summary>
[Collection(GlobalRngCollection.Name)]
public class JudgeAndDistanceTests
{
    [Fact]
    public void Frechet_distance_matches_the_closed_form_for_diagonal_covariances_and_ignores_rotations()
    {
        using var scope = NewDisposeScope();
        // The 8 corners of the cube {-1, 1}^3: mean 0, sample covariance exactly 8/7 I. Scaled per axis and shifted.
        var corners = tensor(Enumerable.Range(0, 8).SelectMany(i => new double[] { (i & 1) * 2 - 1, (i >> 1 & 1) * 2 - 1, (i >> 2 & 1) * 2 - 1 }).ToArray(), [8, 3]);
        double[] sa = [1, 2, 3], sb = [2, 2, 0.5], ma = [0, 1, 0], mb = [1, 1, 2];
        var a = corners * tensor(sa) + tensor(ma);
        var b = corners * tensor(sb) + tensor(mb);
        double expected = Enumerable.Range(0, 3).Sum(i => Math.Pow(ma[i] - mb[i], 2) + 8.0 / 7 * Math.Pow(sa[i] - sb[i], 2));
        Assert.Equal(expected, FrechetDistance.Compute(a, b), 9);
        Assert.Equal(0, FrechetDistance.Compute(a, a), 9);
        var (q, _) = linalg.qr(tensor(new double[] { 1, 2, 0, -1, 1, 3, 2, 0, 1 }, [3, 3]));        // an orthogonal matrix
        Assert.Equal(expected, FrechetDistance.Compute(a.matmul(q), b.matmul(q)), 9);
    }

    [Fact]
    public void Judge_learns_the_classes_and_reads_back_the_same()
    {
        using var data = new SyntheticImages(train: 80, test: 8);
        using var corpus = data.Prepare();
        using var judge = ImageJudge.Train(corpus.Train, corpus.Test, SyntheticImages.Classes, corpus.Tokenizer.Identity, epochs: 8, seed: 3);
        Assert.Equal(1.0, judge.Info.TestAccuracy);
        Assert.Equal(corpus.Test.Count, judge.Info.TestImages);
        var images = Enumerable.Range(0, SyntheticImages.Classes).Select(SyntheticImages.Image).ToList();
        Assert.Equal([0, 1, 2, 3], judge.Predict(images));

        judge.Save(data.Root);
        using var loaded = ImageJudge.TryLoad(data.Root, corpus.Tokenizer.Identity, corpus.Tokenizer.Geometry)!;
        Assert.Equal(judge.Info, loaded.Info);
        using var scope = NewDisposeScope();
        Assert.Equal(0f, judge.Features(images).sub(loaded.Features(images)).abs().max().item<float>());
        Assert.Null(ImageJudge.TryLoad(data.Root, "image-text:another", corpus.Tokenizer.Geometry));   // another corpus's judge is not used
    }
}
