using GiantSharp.Config;
using GiantSharp.Model;
using GiantSharp.Sharing;
using static TorchSharp.torch;

namespace GiantSharp.Training;

/// <summary>
/// <c>delink.when: auto</c>, the trainer's rule for ending a sharing stage early (Yang et al. 2021, sec. 4): every
/// <see cref="DelinkConfig.CheckEvery"/> steps of a stage that shares layers and is followed by a delinking stage, it
/// measures the layers' <see cref="GradientAgreement"/> on the step's first micro-batch; after
/// <see cref="DelinkConfig.Patience"/> checks in a row whose mean is below <see cref="DelinkConfig.Threshold"/>, the
/// stage ends and the delink happens. The measures go out with the step's metrics (<c>delink/agreement</c>, the mean,
/// and <c>delink/agreement/layer{i}</c>).
/// </summary>
/// <param name="config">The run.</param>
/// <param name="measure">Measures the agreement per layer (default <see cref="GradientAgreement.Measure"/>; tests inject others).</param>
internal sealed class AutoDelink(RunConfig config, Func<GptModel, Tensor, Tensor, double[]>? measure = null)
{
    private readonly Func<GptModel, Tensor, Tensor, double[]> _measure = measure ?? GradientAgreement.Measure;

    /// <summary>Whether step <paramref name="step"/> (1-based, about to run) of stage <paramref name="stage"/> is a check.</summary>
    public bool Due(int stage, int step, GptModel model) =>
        config.Delink.When == DelinkTiming.Auto && stage + 1 < config.Stages.Count && step % config.Delink.CheckEvery == 0
        && model.Layers.UniqueBlocks.Count < model.Layers.NumLayers
        && !config.Stages[stage + 1].Sharing.LayerMap(config.Model.NLayer).SequenceEqual(model.Layers.LayerToBlock);

    /// <summary>Measures the agreement on tokens <paramref name="x"/> (B, T) and targets <paramref name="y"/>; returns the metrics and their mean over shared layers.</summary>
    public (Dictionary<string, double> Metrics, double Mean) Measure(GptModel model, Tensor x, Tensor y)
    {
        var perLayer = _measure(model, x, y);
        var metrics = new Dictionary<string, double>();
        for (int i = 0; i < perLayer.Length; i++)
            if (!double.IsNaN(perLayer[i])) metrics[$"delink/agreement/layer{i}"] = perLayer[i];
        var shared = perLayer.Where(v => !double.IsNaN(v)).ToArray();
        var mean = shared.Length > 0 ? shared.Average() : double.NaN;
        metrics["delink/agreement"] = mean;
        return (metrics, mean);
    }

    /// <summary>The count of disagreeing checks in a row after one with mean <paramref name="mean"/>, given <paramref name="before"/>.</summary>
    public int Count(int before, double mean) => mean < config.Delink.Threshold ? before + 1 : 0;

    /// <summary>Whether <paramref name="disagreeing"/> checks in a row trigger the delink.</summary>
    public bool Triggers(int disagreeing) => disagreeing >= config.Delink.Patience;
}
