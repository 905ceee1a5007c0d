using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GiantSharp.Model.Moe;

/// <summary>
/// The E expert FFNs of one MoE layer, stored as stacked tensors so that every expert's weights are
/// addressable by name (state-dict keys <c>w_fc</c> (E, C, d_ff), <c>b_fc</c> (E, d_ff), <c>w_proj</c>
/// (E, d_ff, C), <c>b_proj</c> (E, C); under a block: <c>h.{b}.mlp.experts.w_fc</c>) and run as one
/// batched matmul. Expert e computes GELU(x W_fc[e] + b_fc[e]) W_proj[e] + b_proj[e], the function of the
/// dense <see cref="FeedForward"/> (without its dropout). Shapes: (E, S, C) -> (E, S, C), S slots per expert.
/// Source: Switch Transformer (Fedus et al. 2021), sec. 2.1; GPT-2 initialisation.
/// </summary>
public sealed class MoeExperts : nn.Module<Tensor, Tensor>
{
    // Field names are the state-dict keys.
    private readonly Parameter w_fc;
    private readonly Parameter? b_fc;
    private readonly Parameter w_proj;
    private readonly Parameter? b_proj;
    private readonly TorchSharp.Modules.GELU.Approximate _approximate;

    /// <summary>Builds E experts with weights N(0, <paramref name="initStd"/>) and N(0, <paramref name="projStd"/>) and zero biases.</summary>
    /// <param name="numExperts">E.</param>
    /// <param name="dModel">C, in features.</param>
    /// <param name="dFf">Hidden width of each expert, in features.</param>
    /// <param name="bias">Whether the experts have bias terms.</param>
    /// <param name="initStd">Standard deviation of <c>w_fc</c>.</param>
    /// <param name="projStd">Standard deviation of <c>w_proj</c> (GPT-2: init_std / sqrt(2 n_layer)).</param>
    /// <param name="activation">The nonlinearity between the two projections (exact GELU by default).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    public MoeExperts(int numExperts, int dModel, int dFf, bool bias, double initStd, double projStd, Activation activation = Activation.Gelu) : base(nameof(MoeExperts))
    {
        _approximate = activation == Activation.GeluTanh ? TorchSharp.Modules.GELU.Approximate.tanh : TorchSharp.Modules.GELU.Approximate.none;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numExperts);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dModel);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dFf);
        NumExperts = numExperts;
        w_fc = nn.Parameter(empty(numExperts, dModel, dFf));
        w_proj = nn.Parameter(empty(numExperts, dFf, dModel));
        b_fc = bias ? nn.Parameter(zeros(numExperts, dFf)) : null;
        b_proj = bias ? nn.Parameter(zeros(numExperts, dModel)) : null;
        RegisterComponents();
        using var _ = no_grad();
        nn.init.normal_(w_fc, 0.0, initStd);
        nn.init.normal_(w_proj, 0.0, projStd);
    }

    /// <summary>Number of experts (E).</summary>
    public int NumExperts { get; }

    /// <summary>First projections, (E, C, d_ff).</summary>
    public Parameter WFc => w_fc;
    /// <summary>First biases, (E, d_ff), or null without bias.</summary>
    public Parameter? BFc => b_fc;
    /// <summary>Second projections, (E, d_ff, C).</summary>
    public Parameter WProj => w_proj;
    /// <summary>Second biases, (E, C), or null without bias.</summary>
    public Parameter? BProj => b_proj;

    /// <summary>
    /// Replaces the computation of <see cref="forward"/> when set, e.g. by expert parallelism applied from outside
    /// (GiantSharp.Parallel): it receives the slots (E, S, C) and returns the outputs (E, S, C), computing what it
    /// computes through <see cref="ForwardExperts"/>. Null: all E experts here.
    /// </summary>
    public Func<Tensor, Tensor>? Executor { get; set; }

    /// <summary>Slots (E, S, C), row s of expert e a token (or zero padding) -> expert outputs (E, S, C).</summary>
    /// <exception cref="ArgumentException">The first dimension is not E.</exception>
    public override Tensor forward(Tensor x)
    {
        if (x.dim() != 3 || x.shape[0] != NumExperts) throw new ArgumentException($"expected (E = {NumExperts}, S, C), got ({string.Join(", ", x.shape)})", nameof(x));
        return Executor is { } executor ? executor(x) : ForwardExperts(x, 0, NumExperts);
    }

    /// <summary>Experts [<paramref name="first"/>, first + count) on their slots: (count, S, C) -> (count, S, C).</summary>
    /// <exception cref="ArgumentException">The first dimension is not <paramref name="count"/>, or the range is outside [0, E).</exception>
    public Tensor ForwardExperts(Tensor x, int first, int count)
    {
        if (first < 0 || count < 1 || first + count > NumExperts || x.dim() != 3 || x.shape[0] != count)
            throw new ArgumentException($"expected experts [{first}, {first + count}) of {NumExperts} on (count, S, C), got ({string.Join(", ", x.shape)})", nameof(x));
        using var scope = NewDisposeScope();
        bool all = first == 0 && count == NumExperts;
        Tensor Part(Tensor t) => all ? t : t.narrow(0, first, count);
        // TorchSharp 0.107 binds baddbmm as batch1.baddbmm(batch2, input) = input + batch1 @ batch2.
        var h = b_fc is null ? x.bmm(Part(w_fc)) : x.baddbmm(Part(w_fc), Part(b_fc).unsqueeze(1));          // (count, S, d_ff)
        h = nn.functional.gelu(h, _approximate);
        var y = b_proj is null ? h.bmm(Part(w_proj)) : h.baddbmm(Part(w_proj), Part(b_proj).unsqueeze(1)); // (count, S, C)
        return y.MoveToOuterDisposeScope();
    }
}
