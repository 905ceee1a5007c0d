using GiantSharp.Model;
using GiantSharp.Training;
using GiantSharp.Training.Optim;
using GiantSharp.Training.Steps;
using TorchSharp;
using Parameter = TorchSharp.Modules.Parameter;
using static TorchSharp.torch;

namespace GiantSharp.MixedPrecision;

/// <summary>
/// Mixed-precision training with fp32 master weights (Micikevicius et al. 2018; bf16 needs no loss scaling), acting on a
/// built model from outside: the model passed to <see cref="Step"/> is the fp32 master, and this step keeps a compute copy
/// of it in <see cref="ComputeType"/> (same config, same layer map; rebuilt when the map changes, e.g. after delinking).
/// Each step: master -> compute copy (rounding), forward and backward on the copy (logits cast to fp32 before the loss;
/// LayerNorm, softmax and attention statistics accumulate in fp32 inside libtorch's bf16 CPU kernels; the MoE router's
/// softmax runs in fp32), the copy's gradients cast onto the masters' fp32 gradients (allocated once), then the global
/// norm (float64 sums), clipping and AdamW in fp32 on the masters. The masters and moments are what checkpoints save, so
/// resuming is exact. Building the copy does not touch the global RNG.
/// </summary>
public sealed class MixedPrecisionStep : ITrainStep
{
    private GptModel? _master;
    private GptModel? _compute;
    private int[] _layerMap = [];
    private List<(Parameter Master, Parameter Compute)> _pairs = [];
    private bool _stale = true;

    /// <summary>A step computing in <paramref name="computeType"/> (BFloat16 or Float16).</summary>
    /// <exception cref="ArgumentException">Not a 16-bit floating type.</exception>
    public MixedPrecisionStep(ScalarType computeType = ScalarType.BFloat16)
    {
        if (computeType is not (ScalarType.BFloat16 or ScalarType.Float16))
            throw new ArgumentException($"compute type must be BFloat16 or Float16, got {computeType}", nameof(computeType));
        ComputeType = computeType;
    }

    /// <summary>The element type of forward and backward.</summary>
    public ScalarType ComputeType { get; }

    /// <summary>The compute copy of the last model stepped, or null before the first step (for tests).</summary>
    public GptModel? ComputeModel => _compute;

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The model's parameters are not float32.</exception>
    public StepResult Step(GptModel model, AdamW optimizer, IReadOnlyList<MicroBatch> microBatches, double lr, double gradClip)
    {
        using var scope = NewDisposeScope();
        Sync(model);
        var (loss, aux, metrics) = ResidentTrainStep.ForwardBackward(_compute!, microBatches);
        using (no_grad())
        {
            foreach (var (master, compute) in _pairs)
            {
                using var mg = master.grad;
                using var g = compute.grad;
                if (g is null) { if (mg is not null) master.grad = null; }                // unused this step: no gradient, as the fp32 path
                else if (mg is not null && mg.dtype == ScalarType.Float32) mg.copy_(g);   // compute type -> fp32 into last step's buffer
                else master.grad = g.to(ScalarType.Float32);                              // first step
            }
        }
        var gradNorm = GradientClipping.ClipGlobalNorm(model.parameters(), gradClip);
        optimizer.Step(model.named_parameters(), lr);
        _stale = true;
        return new StepResult(loss, aux, gradNorm, metrics);
    }

    /// <summary>Logits (B, T, V) in float32 from the compute copy (synced from the masters), without autograd.</summary>
    public Tensor Forward(GptModel model, Tensor x)
    {
        using var _ = no_grad();
        Sync(model);
        using var scope = NewDisposeScope();
        return _compute!.call(x).to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>Makes the compute copy match <paramref name="master"/>: built (or rebuilt for a new layer map), mode, values.</summary>
    private void Sync(GptModel master)
    {
        if (!ReferenceEquals(master, _master) || !_layerMap.SequenceEqual(master.Layers.LayerToBlock)) Build(master);
        _compute!.train(master.training);
        if (!_stale) return;
        using var _ = no_grad();
        foreach (var (m, c) in _pairs) c.copy_(m);                                           // fp32 -> compute type
        _stale = false;
    }

    /// <summary>
    /// Builds the compute copy on a fresh thread: dispose scopes are per thread, so neither the copy's tensors nor the
    /// parameter handles kept in the pairs join a caller's scope (the trainer steps inside one) and die with it.
    /// </summary>
    private void Build(GptModel master)
    {
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try { BuildUnscoped(master); }
            catch (Exception e) { error = e; }
        }, 16 << 20);
        thread.Start();
        thread.Join();
        if (error is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(error).Throw();
    }

    private void BuildUnscoped(GptModel master)
    {
        if (master.parameters().Any(p => p.dtype != ScalarType.Float32))
            throw new ArgumentException("the master model must be float32", nameof(master));
        _compute?.Dispose();
        using var rng = random.get_rng_state();                                                // the copy's init draws are not the run's
        var compute = new GptModel(master.Config, master.Layers.LayerToBlock);
        random.set_rng_state(rng);
        var device = master.parameters().First().device;
        compute.to(ComputeType).to(device);
        var byName = compute.named_parameters().ToDictionary(np => np.name, np => np.parameter);
        _pairs = master.named_parameters().Select(np => (np.parameter, byName[np.name])).ToList();
        _master = master;
        _compute = compute;
        _layerMap = master.Layers.LayerToBlock.ToArray();
        _stale = true;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _compute?.Dispose();
        _compute = null;
    }
}
