using GiantSharp.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace GiantSharp.MixedPrecision;

/// <summary>
/// Precision for evaluation and generation, applied to a built (loaded) model from outside: without training there are
/// no masters to keep, so the model's floating-point parameters and buffers are cast to the compute type in place.
/// Logits go back to float32 where they meet the loss (<see cref="Training.LanguageModelLoss"/>) and the sampler.
/// </summary>
public static class InferencePrecision
{
    /// <summary>Casts <paramref name="model"/> to <paramref name="choice"/>'s compute type (nothing for fp32).</summary>
    /// <returns>The same model.</returns>
    public static GptModel Apply(GptModel model, PrecisionChoice choice)
    {
        if (choice.Compute != ScalarType.Float32) model.to(choice.Compute);
        return model;
    }
}
