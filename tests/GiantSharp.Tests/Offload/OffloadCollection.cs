namespace GiantSharp.Tests.Offload;

/// <summary>
/// The offload tests compare runs that must draw the same numbers from libtorch's global generator (model
/// initialisation, dropout masks replayed in the recompute); tests on other threads would draw in between.
/// This collection runs alone, after the parallel ones.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class OffloadCollection
{
    public const string Name = "offload (global RNG)";
}
