using GiantSharp.Errors;
using GiantSharp.Model;
using GiantSharp.Sharing;
using TorchSharp;
using static TorchSharp.torch;

namespace GiantSharp.Offload;

/// <summary>
/// Bytes per tier of a model under sharing and offloading, from its configuration alone (nothing is allocated),
/// and the largest model that fits this machine; for <c>giant info</c>. fp32 throughout: parameters 4 B,
/// gradients 4 B, AdamW moments 8 B per parameter (ZeRO, Rajbhandari et al. 2020, sec. 3: 16 B per parameter
/// of mixed-precision state there; 16 B of fp32 state here).
/// </summary>
public static class OffloadAccounting
{
    /// <summary>Parameters of one decoder block (exact for dense and MoE blocks; see <see cref="ModelSize.BlockParameters"/>).</summary>
    /// <param name="c">The model shape.</param>
    /// <param name="isMoe">Whether the block's FFN is a mixture of experts.</param>
    public static long BlockParameters(ModelConfig c, bool isMoe = false) => ModelSize.BlockParameters(c, isMoe);

    /// <summary>Parameters outside the layer stack: token embedding (tied with the head), learned positions, final LayerNorm.</summary>
    public static long ResidentParameters(ModelConfig c) => ModelSize.OutsideParameters(c);

    /// <summary>The offload plan of a model of shape <paramref name="model"/> shared per <paramref name="sharing"/>.</summary>
    /// <exception cref="ConfigException">The model, sharing or offload configuration is invalid.</exception>
    public static OffloadPlan Plan(ModelConfig model, SharingPlan sharing, OffloadConfig offload)
    {
        model.Validate();
        return Plan(model, sharing.LayerMap(model.NLayer), offload);
    }

    /// <summary>The offload plan of a model of shape <paramref name="model"/> whose layer <c>i</c> applies block <c>map[i]</c>.</summary>
    /// <exception cref="ConfigException">The offload configuration does not fit the model.</exception>
    /// <param name="deviceIsCpu">Whether the compute device is the CPU (its host tier is used in place, without staging).</param>
    public static OffloadPlan Plan(ModelConfig model, IReadOnlyList<int> map, OffloadConfig offload, bool deviceIsCpu = true)
    {
        var isMoe = LayerStack.FirstLayers(map).Select(layer => GptModel.IsMoeLayer(model, layer)).ToArray();
        var numel = isMoe.Select(moe => BlockParameters(model, moe)).ToArray();
        var managed = isMoe.Select(moe => ManagedTensors.Numel(offload.Tensors, model, moe)).ToArray();
        return OffloadPlan.Create(offload, map, numel, ResidentParameters(model), managedNumel: managed, deviceIsCpu: deviceIsCpu);
    }

    /// <summary>Bytes per tier (see <see cref="Plan(ModelConfig, SharingPlan, OffloadConfig)"/>).</summary>
    public static OffloadFootprint Footprint(ModelConfig model, SharingPlan sharing, OffloadConfig offload) =>
        Plan(model, sharing, offload).Footprint;

    /// <summary>
    /// The deepest model of <paramref name="template"/>'s width (n_layer varies; sharing and offloading as given)
    /// whose footprint passes <see cref="OffloadPreflight.Check"/> against <paramref name="resources"/>; null when
    /// not even the smallest valid depth fits. Depths up to 2^20 layers are searched.
    /// </summary>
    public static ModelFit? LargestFitting(ModelConfig template, SharingPlan sharing, OffloadConfig offload, MachineResources resources, Device? device = null)
    {
        device ??= CPU;
        OffloadFootprint? Fits(int n)
        {
            try
            {
                var fp = Footprint(template with { NLayer = n }, sharing, offload);
                OffloadPreflight.Check(fp, resources, device);
                return fp;
            }
            catch (ConfigException) { return null; }
        }
        bool Valid(int n)
        {
            try { Plan(template with { NLayer = n }, sharing, offload); return true; }
            catch (ConfigException) { return false; }
        }
        int lo = Enumerable.Range(1, 4096).FirstOrDefault(Valid);
        if (lo == 0 || Fits(lo) is null) return null;
        int hi = lo;                                       // invariant: Fits(lo), and hi is the first failure found
        while (hi < (1 << 20) && Fits(hi) is not null) { lo = hi; hi = Math.Min(2 * hi, 1 << 20); }
        if (Fits(hi) is not null) lo = hi;
        while (hi - lo > 1)
        {
            int mid = lo + (hi - lo) / 2;
            if (Fits(mid) is not null) lo = mid; else hi = mid;
        }
        var best = Fits(lo)!;
        return new ModelFit(lo, best.Parameters, best);
    }
}
