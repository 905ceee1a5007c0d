namespace GiantSharp.Sharing;

/// <summary>
/// How AdamW state of a shared block is carried to the layers that get their own copy (M6-10T sec. 3.1
/// copies weights; how the moments follow is ours to choose, measured in docs/delinking.md).
/// </summary>
public enum OptimizerStateDelink
{
    /// <summary>Each copy gets the shared moments and step count unchanged.</summary>
    Copy,
    /// <summary>
    /// Moments scaled for the share of the summed gradient one layer now receives: a block shared by n
    /// layers had gradient sum_i g_i ~ n g, so m /= n and v /= n^2; the step count is kept. The first
    /// update after delinking then equals the shared block's own.
    /// </summary>
    Scale,
    /// <summary>Moments zeroed and step count reset (bias correction starts again).</summary>
    Reset,
}
