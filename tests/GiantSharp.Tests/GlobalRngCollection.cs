namespace GiantSharp.Tests;

/// <summary>
/// Tests that compare runs drawing from libtorch's global generator (initialisation after manual_seed, dropout
/// masks) and so must not share it with tests on other threads. The collection runs alone, after the parallel ones.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GlobalRngCollection
{
    public const string Name = "global RNG";
}
