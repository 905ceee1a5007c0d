using TorchSharp;
using static TorchSharp.torch;

namespace GiantSharp.Model;

/// <summary>Collects what the <see cref="IAuxiliaryLossSource"/> modules of a model accumulated.</summary>
public static class AuxiliaryLosses
{
    /// <summary>The summed auxiliary loss (scalar) of every source in <paramref name="model"/>, or null if none; resets them.</summary>
    public static Tensor? Take(nn.Module model)
    {
        Tensor? total = null;
        foreach (var source in Sources(model))
        {
            var aux = source.TakeAuxiliaryLoss();
            if (aux is not null) total = total is null ? aux : total + aux;
        }
        return total;
    }

    /// <summary>Diagnostics of every source, averaged over sources when several report the same key; resets them.</summary>
    public static Dictionary<string, double> TakeMetrics(nn.Module model)
    {
        var sums = new Dictionary<string, double>();
        var counts = new Dictionary<string, int>();
        foreach (var source in Sources(model))
        {
            var one = new Dictionary<string, double>();
            source.TakeMetrics(one);
            foreach (var (k, v) in one)
            {
                sums[k] = sums.GetValueOrDefault(k) + v;
                counts[k] = counts.GetValueOrDefault(k) + 1;
            }
        }
        return sums.ToDictionary(kv => kv.Key, kv => kv.Value / counts[kv.Key]);
    }

    private static IEnumerable<IAuxiliaryLossSource> Sources(nn.Module model) =>
        model.modules().OfType<IAuxiliaryLossSource>().Distinct();
}
