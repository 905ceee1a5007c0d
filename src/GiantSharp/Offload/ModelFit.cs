namespace GiantSharp.Offload;

/// <summary>The largest model of a given width that an offload configuration fits on this machine.</summary>
/// <param name="NLayer">Layers (n_layer).</param>
/// <param name="Parameters">Parameters, counting shared ones once.</param>
/// <param name="Footprint">Bytes per tier at that size.</param>
public sealed record ModelFit(int NLayer, long Parameters, OffloadFootprint Footprint);
