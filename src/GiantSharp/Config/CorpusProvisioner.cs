using GiantSharp.Data;
using GiantSharp.Errors;

namespace GiantSharp.Config;

/// <summary>Makes sure the prepared corpus a <see cref="DataConfig"/> names exists, preparing it from its sources on first use.</summary>
public static class CorpusProvisioner
{
    /// <summary>Opens <c>data.dir</c>, first preparing it from <c>data.sources</c> when it has no meta.json yet.</summary>
    /// <param name="data">The data section.</param>
    /// <param name="seed">Seed of the train/val split.</param>
    /// <param name="log">Receives one line when preparation happens.</param>
    /// <exception cref="DataException">No corpus and no sources, or a source cannot be read.</exception>
    public static PreparedCorpus Open(DataConfig data, long seed = 1234, Action<string>? log = null)
    {
        if (!File.Exists(Path.Combine(data.Dir, PreparedCorpus.MetaFileName)))
        {
            if (data.Sources.Count == 0)
                throw new DataException(data.Dir, "no prepared corpus here (meta.json) and data.sources is empty; run 'giant prepare' first");
            log?.Invoke($"preparing {string.Join(", ", data.Sources)} -> {data.Dir} ({data.Tokenizer} tokenizer)");
            CorpusPreparer.Prepare(data.Sources, data.Dir, data.Tokenizer, data.ValFraction, (int)seed);
        }
        return PreparedCorpus.Open(data.Dir);
    }
}
