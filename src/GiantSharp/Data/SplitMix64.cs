namespace GiantSharp.Data;

/// <summary>
/// SplitMix64 (Steele, Lea, Flood 2014): a tiny counter-based generator whose numbers are fixed by the
/// algorithm, so a seed gives the same shuffle and batch offsets on every machine and .NET version
/// (unlike <see cref="System.Random"/>, whose seeded sequence is an implementation detail).
/// </summary>
internal struct SplitMix64
{
    private const ulong Gamma = 0x9E3779B97F4A7C15;
    private ulong _state;

    public SplitMix64(ulong seed) => _state = seed;

    /// <summary>The next 64 random bits.</summary>
    public ulong Next() => Mix(_state += Gamma);

    /// <summary>A number in [0, <paramref name="bound"/>) (Lemire's multiply-shift; bias below 2^-64 * bound).</summary>
    public long NextBelow(long bound)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bound);
        return (long)Math.BigMul(Next(), (ulong)bound, out _);
    }

    /// <summary>The SplitMix64 output function: a bijective 64-bit hash.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }
}
