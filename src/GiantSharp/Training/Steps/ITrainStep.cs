using GiantSharp.Model;
using GiantSharp.Training.Optim;
using static TorchSharp.torch;

namespace GiantSharp.Training.Steps;

/// <summary>
/// Executes one optimizer step of a model: forward and backward over every micro-batch (gradient
/// accumulation, loss scaled by 1/micro-batches), global-norm gradient clipping, then AdamW.
/// Implementations differ only in where parameters and state live while doing so (resident, or
/// streamed layer by layer from an offload store); all must give the same numbers.
/// </summary>
public interface ITrainStep : IDisposable
{
    /// <summary>
    /// Runs one step. Every tensor it makes is disposed before it returns, except the model's parameters
    /// and the optimizer's state.
    /// </summary>
    /// <param name="model">The model, in training mode.</param>
    /// <param name="optimizer">The optimizer whose state is stepped.</param>
    /// <param name="microBatches">The global batch, as micro-batches (each X, Y of shape (B, T)).</param>
    /// <param name="lr">Learning rate of this step.</param>
    /// <param name="gradClip">Maximum global gradient L2 norm; 0 or less disables clipping.</param>
    StepResult Step(GptModel model, AdamW optimizer, IReadOnlyList<MicroBatch> microBatches, double lr, double gradClip);

    /// <summary>
    /// The model's logits for evaluation, without autograd, in whatever mode the model is in (the caller sets
    /// eval mode). The default runs the model as it is; an executor whose layers live elsewhere streams them in.
    /// </summary>
    /// <param name="model">The model the steps run on.</param>
    /// <param name="x">Token ids (B, T).</param>
    /// <returns>Logits (B, T, V).</returns>
    Tensor Forward(GptModel model, Tensor x)
    {
        using var _ = no_grad();
        return model.call(x);
    }
}
