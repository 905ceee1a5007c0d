using GiantSharp.Errors;
using static TorchSharp.torch;

namespace GiantSharp.Data.Images;

/// <summary>
/// The image tokenizer: a codebook of K patch prototypes (8-bit pixels) learned by k-means over training patches, so an
/// image becomes one discrete code per patch (vector quantisation; Image GPT's colour palette, Chen et al. 2020, sec.
/// 3.1, taken from pixels to patches; M6 generates VQ codes, Lin et al. 2021, sec. 4). Encoding picks the nearest
/// prototype in squared L2 distance; decoding puts the prototype back. Distances are computed in float32 on integer
/// pixels, where every product and sum is exact, so encoding is the same on every machine.
/// </summary>
public sealed class PatchCodebook
{
    private const int Chunk = 16_384;   // patches per distance matrix (Chunk x K floats)

    /// <summary>A codebook of <paramref name="centroids"/>.Length / P prototypes of P = <paramref name="patchDim"/> pixels.</summary>
    /// <exception cref="ArgumentException">The sizes disagree or the codebook is empty.</exception>
    public PatchCodebook(int patchDim, byte[] centroids)
    {
        if (patchDim <= 0 || centroids.Length == 0 || centroids.Length % patchDim != 0)
            throw new ArgumentException($"{centroids.Length} bytes are not a whole number of {patchDim}-pixel prototypes", nameof(centroids));
        PatchDim = patchDim;
        Centroids = centroids;
    }

    /// <summary>Pixels per patch (P).</summary>
    public int PatchDim { get; }
    /// <summary>Number of codes (K).</summary>
    public int Codes => Centroids.Length / PatchDim;
    /// <summary>The prototypes, K x P bytes, code after code.</summary>
    public byte[] Centroids { get; }

    /// <summary>The nearest code of each patch of <paramref name="patches"/> (M x P bytes).</summary>
    public int[] Encode(ReadOnlySpan<byte> patches)
    {
        int m = patches.Length / PatchDim;
        var codes = new int[m];
        using var scope = NewDisposeScope();
        var c = PixelTensor(Centroids, Codes);                              // (K, P)
        var cc = c.pow(2).sum(1);                                            // (K)
        for (int start = 0; start < m; start += Chunk)
        {
            using var inner = NewDisposeScope();
            int n = Math.Min(Chunk, m - start);
            var x = PixelTensor(patches.Slice(start * PatchDim, n * PatchDim).ToArray(), n);   // (n, P)
            var d = cc.unsqueeze(0) - 2 * x.matmul(c.t());                  // (n, K): |c|^2 - 2 x.c, exact on integers
            d.argmin(1).to(ScalarType.Int32).data<int>().CopyTo(codes.AsSpan(start, n));
        }
        return codes;
    }

    /// <summary>The prototypes of <paramref name="codes"/>, as patches (M x P bytes).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A code is outside [0, K).</exception>
    public byte[] Decode(ReadOnlySpan<int> codes)
    {
        var patches = new byte[codes.Length * PatchDim];
        for (int i = 0; i < codes.Length; i++)
        {
            if ((uint)codes[i] >= (uint)Codes) throw new ArgumentOutOfRangeException(nameof(codes), codes[i], $"codes are in [0, {Codes})");
            Centroids.AsSpan(codes[i] * PatchDim, PatchDim).CopyTo(patches.AsSpan(i * PatchDim));
        }
        return patches;
    }

    /// <summary>
    /// Learns <paramref name="codes"/> prototypes from up to <paramref name="samples"/> patches drawn from
    /// <paramref name="patches"/> (M x P bytes) by SplitMix64 with <paramref name="seed"/>: k-means++ seeding (Arthur and
    /// Vassilvitskii 2007), then <paramref name="iterations"/> Lloyd iterations; an empty cluster takes the sample
    /// farthest from its prototype. Prototypes are rounded to bytes.
    /// </summary>
    /// <exception cref="ConfigException">Key <c>data.images.codes</c>: fewer than 2 codes, or more than the samples.</exception>
    public static PatchCodebook Train(ReadOnlySpan<byte> patches, int patchDim, int codes, int seed, int samples = 100_000, int iterations = 20)
    {
        int m = patches.Length / patchDim;
        int n = Math.Min(samples, m);
        if (codes < 2 || codes > n) throw new ConfigException("data.images.codes", $"must be in [2, {n}] (the patches sampled), got {codes}");
        var rng = new SplitMix64(SplitMix64.Mix((ulong)(long)seed));
        var sample = new byte[n * patchDim];
        for (int i = 0; i < n; i++)
            patches.Slice((int)rng.NextBelow(m) * patchDim, patchDim).CopyTo(sample.AsSpan(i * patchDim));

        using var scope = NewDisposeScope();
        var x = PixelTensor(sample, n);                                      // (N, P)
        var centroids = SeedPlusPlus(x, codes, ref rng);                     // (K, P)
        for (int it = 0; it < iterations; it++)
        {
            using var inner = NewDisposeScope();
            var (assign, dist) = Nearest(x, centroids);                      // (N), (N)
            var counts = bincount(assign, minlength: codes).to(ScalarType.Float32);           // (K)
            var sums = zeros(codes, patchDim).index_add_(0, assign, x, 1.0);                       // (K, P)
            var updated = sums / counts.clamp_min(1).unsqueeze(1);
            var empty = counts.eq(0);
            if (empty.any().item<bool>())
            {
                var far = dist.topk((int)empty.sum().item<long>()).indexes;                  // the samples worst served
                updated[empty] = x.index_select(0, far);
            }
            centroids = updated.MoveToOuterDisposeScope();
        }
        var bytes = centroids.round().clamp(0, 255).to(ScalarType.Byte).contiguous().data<byte>().ToArray();
        return new PatchCodebook(patchDim, bytes);
    }

    /// <summary>Root mean squared error per pixel (0..255 scale) of encoding then decoding <paramref name="patches"/>.</summary>
    public double Rmse(ReadOnlySpan<byte> patches)
    {
        var back = Decode(Encode(patches));
        double sum = 0;
        for (int i = 0; i < back.Length; i++)
        {
            double d = back[i] - patches[i];
            sum += d * d;
        }
        return Math.Sqrt(sum / Math.Max(1, back.Length));
    }

    private static Tensor SeedPlusPlus(Tensor x, int codes, ref SplitMix64 rng)
    {
        long n = x.shape[0];
        var chosen = new long[codes];
        chosen[0] = rng.NextBelow(n);
        var best = (x - x[chosen[0]]).pow(2).sum(1);                         // (N): squared distance to the nearest chosen
        for (int k = 1; k < codes; k++)
        {
            using var step = NewDisposeScope();                              // (N, P) temporaries per pick: free them as we go
            var weights = best.to(ScalarType.Float64).cumsum(0);
            double total = weights[-1].item<double>();
            double u = (rng.Next() >> 11) * (1.0 / (1UL << 53)) * total;
            long pick = total > 0 ? Math.Min(n - 1, searchsorted(weights, tensor(new[] { u })).item<long>()) : rng.NextBelow(n);
            chosen[k] = pick;
            var closer = minimum(best, (x - x[pick]).pow(2).sum(1)).MoveToOuterDisposeScope();
            best.Dispose();
            best = closer;
        }
        return x.index_select(0, tensor(chosen));
    }

    private static (Tensor Assign, Tensor Distance) Nearest(Tensor x, Tensor c)
    {
        var cc = c.pow(2).sum(1);
        var parts = new List<Tensor>();
        var dists = new List<Tensor>();
        for (long start = 0; start < x.shape[0]; start += Chunk)
        {
            var xs = x.narrow(0, start, Math.Min(Chunk, x.shape[0] - start));
            var d = cc.unsqueeze(0) - 2 * xs.matmul(c.t());                 // (n, K)
            var (min, arg) = d.min(1);
            parts.Add(arg);
            dists.Add(min + xs.pow(2).sum(1));
        }
        return (cat(parts), cat(dists));
    }

    private static Tensor PixelTensor(byte[] pixels, int rows) =>
        tensor(pixels, [rows, pixels.Length / rows], ScalarType.Byte).to(ScalarType.Float32);
}
