using GiantSharp.Model;
using GiantSharp.Offload;
using GiantSharp.Sharing;
using GiantSharp.Training.Optim;
using GiantSharp.Training.Steps;
using GiantSharp.Tests.Data;
using static TorchSharp.torch;

namespace GiantSharp.Tests.Offload;

/// <summary>Shared pieces of the offload tests: a trainable tiny model, fixed batches, runs of N steps, and parameter comparison.</summary>
internal static class OffloadFixtures
{
    public const double Lr = 3e-3;
    public const double Clip = 0.5;   // below the tiny model's gradient norm (~1.5-3): clipping is active

    public static GptModel NewModel(SharingPlan? plan = null, int nLayer = 4, double dropout = 0, MoeConfig? moe = null)
    {
        var model = TinyModels.Build(TinyModels.Config(nLayer) with { Dropout = dropout, Moe = moe }, plan);
        model.train();
        return model;
    }

    public static AdamW Optimizer() => new(new AdamWOptions());

    /// <summary>Two micro-batches for step <paramref name="step"/>: X = tokens[:, :-1], Y = tokens[:, 1:], each (2, 15).</summary>
    public static MicroBatch[] Batches(ModelConfig config, int step, int microBatches = 2) =>
        Enumerable.Range(0, microBatches).Select(k =>
        {
            var tokens = TinyModels.Tokens(config, batch: 2, seed: 1000 + 10 * step + k);
            return new MicroBatch(tokens[.., ..^1].contiguous().DetachFromDisposeScope(), tokens[.., 1..].contiguous().DetachFromDisposeScope());
        }).ToArray();

    /// <summary>Runs steps <paramref name="from"/>..<paramref name="to"/>-1 and returns their results.</summary>
    public static List<StepResult> Train(GptModel model, AdamW optimizer, ITrainStep step, int from, int to, double clip = Clip)
    {
        var results = new List<StepResult>();
        for (int s = from; s < to; s++)
        {
            using var scope = NewDisposeScope();
            results.Add(step.Step(model, optimizer, Batches(model.Config, s), Lr, clip));
        }
        return results;
    }

    /// <summary>
    /// Trains a resident model and an offloaded twin (configured by <paramref name="config"/> from a temp dir) for
    /// <paramref name="steps"/> steps with clipping active and two micro-batches; checks losses and norms per step
    /// and returns the parameters' largest relative difference after the offloaded twin detaches.
    /// </summary>
    public static double TrainBothAndCompare(SharingPlan? plan, Func<string, OffloadConfig> config, double dropout = 0, MoeConfig? moe = null, int steps = 20)
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        using var reference = NewModel(plan, dropout: dropout, moe: moe);
        using var refOpt = Optimizer();
        var refResults = Train(reference, refOpt, new ResidentTrainStep(), 0, steps);
        Assert.All(refResults, r => Assert.True(r.GradNorm > Clip, $"clip {Clip} does not clip a norm of {r.GradNorm}"));

        using var model = NewModel(plan, dropout: dropout, moe: moe);
        using var opt = Optimizer();
        var session = OffloadSession.Attach(model, opt, config(dir.Path));
        List<StepResult> results;
        using (var step = new LayerStreamedTrainStep(session)) results = Train(model, opt, step, 0, steps);
        session.Detach(opt);
        for (int s = 0; s < steps; s++)
        {
            Assert.Equal(refResults[s].Loss, results[s].Loss, 5);
            Assert.Equal(refResults[s].GradNorm, results[s].GradNorm, 5);
        }
        return MaxRelativeDiff(model, reference);
    }

    /// <summary>
    /// Trains <paramref name="steps"/> offloaded steps in one go, and again saved after half and resumed into a model
    /// built with other initial values that gets only what the general checkpoint would hold (parameters with
    /// storage, the resident optimizer's state) plus the saved store; asserts both runs end equal, parameters and
    /// step counts. <paramref name="inspect"/> sees the saved folder and the general checkpoint's parameter names.
    /// </summary>
    public static void AssertResumeEqualsUninterrupted(MoeConfig? moe, Func<string, OffloadConfig> config, int steps, Action<string, IReadOnlyCollection<string>>? inspect = null)
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        using var whole = NewModel(moe: moe);
        using var wholeOpt = Optimizer();
        var s1 = OffloadSession.Attach(whole, wholeOpt, config(dir.Sub("a")));
        using (var step = new LayerStreamedTrainStep(s1)) Train(whole, wholeOpt, step, 0, steps);
        s1.Detach(wholeOpt);

        Dictionary<string, Tensor> residentParams;
        Dictionary<string, AdamWState> residentState;
        using (var first = NewModel(moe: moe))
        using (var firstOpt = Optimizer())
        using (var s2 = OffloadSession.Attach(first, firstOpt, config(dir.Sub("b"))))
        {
            using (var step = new LayerStreamedTrainStep(s2)) Train(first, firstOpt, step, 0, steps / 2);
            s2.Save(dir.Sub("checkpoint"));
            residentParams = first.named_parameters().Where(p => p.parameter.numel() > 0).ToDictionary(p => p.name, p => p.parameter.detach().clone());
            residentState = firstOpt.State.ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
        }
        inspect?.Invoke(dir.Sub("checkpoint"), residentParams.Keys);

        using var resumed = TinyModels.Build(TinyModels.Config() with { Dropout = 0, Moe = moe }, seed: 777);   // other initial values, overwritten below
        resumed.train();
        using (no_grad())
            foreach (var (name, p) in resumed.named_parameters().Where(p => residentParams.ContainsKey(p.name)))
                p.copy_(residentParams[name]);
        using var resumedOpt = Optimizer();
        resumedOpt.ReplaceState(residentState);
        var s3 = OffloadSession.Load(dir.Sub("checkpoint"), resumed, config(dir.Sub("c")));
        using (var step = new LayerStreamedTrainStep(s3)) Train(resumed, resumedOpt, step, steps / 2, steps);
        s3.Detach(resumedOpt);

        Assert.Equal(0.0, MaxRelativeDiff(resumed, whole));
        Assert.Equal(wholeOpt.State.Keys.Order(), resumedOpt.State.Keys.Order());
        foreach (var (name, st) in wholeOpt.State)
            Assert.Equal(st.Step, resumedOpt.State[name].Step);
    }

    /// <summary>The largest per-tensor relative difference ||a - b|| / ||b|| over all parameters, matched by name.</summary>
    public static double MaxRelativeDiff(GptModel a, GptModel b)
    {
        using var scope = NewDisposeScope();
        var bs = b.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        double worst = 0;
        foreach (var (name, p) in a.named_parameters())
        {
            var q = bs[name];
            Assert.Equal(q.shape, p.shape);
            var diff = (p - q).norm().item<float>() / Math.Max(q.norm().item<float>(), 1e-12f);
            worst = Math.Max(worst, diff);
        }
        return worst;
    }

    /// <summary>The path of <paramref name="name"/> inside <paramref name="dir"/> (not created).</summary>
    public static string Sub(this TempDir dir, string name) => Path.Combine(dir.Path, name);
}
