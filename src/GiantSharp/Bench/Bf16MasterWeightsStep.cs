using GiantSharp.Model;
using GiantSharp.Training;
using GiantSharp.Training.Optim;
using GiantSharp.Training.Steps;
using TorchSharp;
using Parameter = TorchSharp.Modules.Parameter;
using static TorchSharp.torch;

namespace GiantSharp.Bench;

/// <summary>
/// bf16 training with fp32 master weights, for measuring throughput (TorchSharp has no autocast).
/// The model passed to <see cref="Step"/> is the fp32 master; this step keeps a bfloat16 copy of it (same
/// layer map). Each step: copy master -> bf16 copy (rounding), forward and backward in bf16 on the copy
/// (every op, LayerNorm and cross-entropy included, takes bf16 tensors; libtorch accumulates reductions
/// in float32 inside its bf16 kernels), cast the gradients to float32 onto the master, clip them and step
/// AdamW in float32. Unlike <see cref="ResidentTrainStep"/> its numbers are not the fp32 ones.
/// </summary>
public sealed class Bf16MasterWeightsStep : ITrainStep
{
    private readonly GptModel _master;
    private readonly GptModel _compute;
    private readonly List<(Parameter Master, Parameter Compute)> _pairs;

    /// <summary>Builds the bf16 copy of <paramref name="master"/> (an fp32 model).</summary>
    /// <exception cref="ArgumentException">The master's parameters are not float32.</exception>
    public Bf16MasterWeightsStep(GptModel master)
    {
        if (master.parameters().Any(p => p.dtype != ScalarType.Float32))
            throw new ArgumentException("the master model must be float32", nameof(master));
        _master = master;
        _compute = new GptModel(master.Config, master.Layers.LayerToBlock);
        _compute.to(ScalarType.BFloat16);
        _compute.train(master.training);
        var compute = _compute.named_parameters().ToDictionary(np => np.name, np => np.parameter);
        _pairs = master.named_parameters().Select(np => (np.parameter, compute[np.name])).ToList();
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException"><paramref name="model"/> is not the master this step was built for.</exception>
    public StepResult Step(GptModel model, AdamW optimizer, IReadOnlyList<MicroBatch> microBatches, double lr, double gradClip)
    {
        if (!ReferenceEquals(model, _master)) throw new ArgumentException("not the master model this step was built for", nameof(model));
        using var scope = NewDisposeScope();
        using (no_grad())
            foreach (var (master, compute) in _pairs) compute.copy_(master);               // fp32 -> bf16
        var (loss, aux, metrics) = ResidentTrainStep.ForwardBackward(_compute, microBatches);
        using (no_grad())
            foreach (var (master, compute) in _pairs)
            {
                var g = compute.grad;
                if (g is null || master.grad is not { } mg) master.grad = g?.to(ScalarType.Float32); // first step, or unused
                else mg.copy_(g);                                                                    // bf16 -> fp32
            }
        var gradNorm = GradientClipping.ClipGlobalNorm(model.parameters(), gradClip);
        optimizer.Step(model.named_parameters(), lr);
        return new StepResult(loss, aux, gradNorm, metrics);
    }

    /// <inheritdoc />
    public void Dispose() => _compute.Dispose();
}
