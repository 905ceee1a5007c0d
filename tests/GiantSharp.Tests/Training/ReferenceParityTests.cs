using GiantSharp.Training;
using GiantSharp.Training.Optim;
using TorchSharp;
using static TorchSharp.torch;

namespace GiantSharp.Tests.Training;

/// <summary>Our AdamW and clipping against references we did not write: TorchSharp's torch.optim.AdamW and torch.nn.utils.clip_grad_norm_.</summary>
public class ReferenceParityTests
{
    /// <summary>Gives <paramref name="p"/> the gradient <paramref name="g"/> through autograd: d/dp sum(p * g) = g.</summary>
    private static void SetGrad(Tensor p, Tensor g)
    {
        p.grad?.zero_();
        p.mul(g).sum().backward();
    }

    [Fact]
    public void AdamW_matches_torch_optim_AdamW_over_200_steps_with_and_without_decay()
    {
        const double lr = 3e-3, beta1 = 0.9, beta2 = 0.95, eps = 1e-8, wd = 0.1;
        var gen = new Generator().manual_seed(7);
        var init = new Dictionary<string, Tensor> { ["h.0.w"] = randn([8, 6], generator: gen, dtype: float64), ["h.0.bias"] = randn([6], generator: gen, dtype: float64) };
        var ours = init.ToDictionary(kv => kv.Key, kv => new TorchSharp.Modules.Parameter(kv.Value.clone()));
        var theirs = init.ToDictionary(kv => kv.Key, kv => new TorchSharp.Modules.Parameter(kv.Value.clone()));
        var adamw = new AdamW(new AdamWOptions { Beta1 = beta1, Beta2 = beta2, Eps = eps, WeightDecay = wd });
        var decayed = torch.optim.AdamW([theirs["h.0.w"]], lr, beta1, beta2, eps, weight_decay: wd);   // our policy: matrices decay,
        var plain = torch.optim.AdamW([theirs["h.0.bias"]], lr, beta1, beta2, eps, weight_decay: 0);  // biases do not
        for (int step = 0; step < 200; step++)
        {
            foreach (var name in init.Keys)
            {
                using var g = randn(init[name].shape, generator: gen, dtype: float64).add(0.5);   // a drift, so the moments matter
                SetGrad(ours[name], g);
                SetGrad(theirs[name], g);
            }
            adamw.Step(ours.Select(kv => (kv.Key, kv.Value)), lr);
            decayed.step();
            plain.step();
        }
        foreach (var name in init.Keys)
        {
            var diff = ours[name].sub(theirs[name]).abs().max().item<double>();
            Assert.True(diff < 1e-12, $"{name}: max |ours - torch| = {diff}");
            Assert.True(ours[name].sub(init[name]).abs().max().item<double>() > 0.1);   // the parameters did move
        }
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(1e6)]
    public void Clipping_matches_torch_clip_grad_norm(double maxNorm)
    {
        var gen = new Generator().manual_seed(3);
        var ours = new[] { new TorchSharp.Modules.Parameter(zeros([5, 4], dtype: float64)), new TorchSharp.Modules.Parameter(zeros([7], dtype: float64)) };
        var theirs = ours.Select(p => new TorchSharp.Modules.Parameter(p.detach().clone())).ToArray();
        for (int i = 0; i < ours.Length; i++)
        {
            using var g = randn(ours[i].shape, generator: gen, dtype: float64).mul(3);
            SetGrad(ours[i], g);
            SetGrad(theirs[i], g);
        }
        var norm = GradientClipping.ClipGlobalNorm(ours, maxNorm);
        var reference = torch.nn.utils.clip_grad_norm_(theirs, maxNorm);
        Assert.Equal(reference, norm, 10);
        for (int i = 0; i < ours.Length; i++)
            Assert.True(ours[i].grad!.sub(theirs[i].grad!).abs().max().item<double>() < 1e-12);
    }
}
