using System.Text.Json.Serialization;

namespace GiantSharp.Offload;

/// <summary>
/// Which parameters of an offloaded block the offload store manages (<see cref="OffloadConfig.Tensors"/>).
/// In JSON: <c>"all"</c> or <c>"experts"</c>.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<OffloadTensors>))]
public enum OffloadTensors
{
    /// <summary>Every parameter of the block: LayerNorms, attention and FFN (dense or router + experts).</summary>
    [JsonStringEnumMemberName("all")] All,
    /// <summary>
    /// Only the expert FFN weights of MoE blocks (<see cref="Model.Moe.MoeExperts"/>): the bulk of an MoE model's
    /// state (M6-10T, Lin et al. 2021, sec. 3.2; DeepSpeed-MoE, Rajbhandari et al. 2022). Attention, LayerNorms
    /// and the router stay on the device, as do dense blocks, with their AdamW state in the resident optimizer.
    /// </summary>
    [JsonStringEnumMemberName("experts")] Experts,
}
