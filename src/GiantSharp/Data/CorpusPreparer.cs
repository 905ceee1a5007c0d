using System.Buffers.Binary;
using System.Text;
using GiantSharp.Errors;

namespace GiantSharp.Data;

/// <summary>
/// Text to token shards: reads documents (<see cref="CorpusReader"/>), splits them into train/val by a
/// seeded document shuffle, tokenizes, and writes <c>train.bin</c>, <c>val.bin</c> (each document's ids
/// followed by the end-of-text id, little-endian uint16 or uint32) and <c>meta.json</c>.
/// </summary>
/// <remarks>
/// Holds every document in memory while it works (the char tokenizer needs them all to build its
/// vocabulary), so it suits corpora that fit in RAM; tokenizing runs on one thread.
/// </remarks>
public static class CorpusPreparer
{
    /// <summary>Prepares a corpus folder that <see cref="PreparedCorpus.Open"/> reads.</summary>
    /// <param name="inputs">Files or folders of UTF-8 text.</param>
    /// <param name="outDir">The corpus folder; created if needed, its shards and meta.json replaced.</param>
    /// <param name="tokenizerKind"><c>byte</c>, <c>char</c> or <c>gpt2</c>.</param>
    /// <param name="valFraction">Fraction of documents for validation, in (0, 1); at least one document goes to each split.</param>
    /// <param name="seed">Seed of the document shuffle; the same seed and inputs give the same split on every machine.</param>
    /// <param name="format"><c>auto</c> (null), <c>text</c>, <c>jsonl</c> or <c>fortune</c>; see <see cref="CorpusReader"/>.</param>
    /// <returns>The meta written and the paths of the three files.</returns>
    /// <exception cref="ConfigException">Keys <c>inputs</c>, <c>tokenizer</c>, <c>val_fraction</c> or <c>format</c>.</exception>
    /// <exception cref="DataException">An input cannot be read (see <see cref="CorpusReader"/>), there are fewer than 2 documents, or <paramref name="outDir"/> is a file.</exception>
    /// <exception cref="IOException">The output cannot be written (e.g. the disk is full).</exception>
    public static PreparedCorpusInfo Prepare(
        IReadOnlyList<string> inputs, string outDir, string tokenizerKind,
        double valFraction = 0.1, int seed = 1234, string? format = null)
    {
        if (inputs.Count == 0)
            throw new ConfigException("inputs", "no input files or folders given");
        TokenizerFactory.CheckKind(tokenizerKind);
        if (!(valFraction > 0 && valFraction < 1))
            throw new ConfigException("val_fraction", $"must be > 0 and < 1, got {valFraction}");
        format = CorpusReader.CheckFormat(format);
        if (File.Exists(outDir))
            throw new DataException(outDir, "is a file; --out must be a folder");

        var skipped = new List<string>();
        var docs = CorpusReader.ReadAll(inputs, format, skipped);
        if (docs.Count < 2)
            throw new DataException(string.Join(", ", inputs), $"has {docs.Count} document; a train/val split needs at least 2 (use a folder of files, JSONL or fortune format)");
        var tokenizer = TokenizerFactory.Create(tokenizerKind, docs);
        var (trainDocs, valDocs) = Split(docs.Count, valFraction, seed);
        string dtype = CorpusMeta.DtypeFor(tokenizer.VocabSize);

        string dir = Path.GetFullPath(outDir);
        Directory.CreateDirectory(dir);
        foreach (var stale in Directory.EnumerateDirectories(dir, ".prepare-*").ToList())   // left by a killed prepare
            Directory.Delete(stale, recursive: true);
        // Everything is written into a folder beside the corpus first: a prepare that fails (disk full, bad input,
        // kill) leaves the existing corpus as it was. Only then are the files swapped in by renames, meta.json last.
        string staging = Path.Combine(dir, $".prepare-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            var (trainTokens, trainSum, trainBytes) = WriteShard(Path.Combine(staging, PreparedCorpus.TrainFileName), trainDocs.Select(i => docs[i]), tokenizer, dtype);
            var (valTokens, valSum, valBytes) = WriteShard(Path.Combine(staging, PreparedCorpus.ValFileName), valDocs.Select(i => docs[i]), tokenizer, dtype);
            var staged = new CorpusMeta
            {
                Tokenizer = TokenizerFactory.ToSpec(tokenizer),
                Dtype = dtype,
                Train = new SplitMeta(PreparedCorpus.TrainFileName, trainDocs.Length, trainTokens, trainSum, trainBytes),
                Val = new SplitMeta(PreparedCorpus.ValFileName, valDocs.Length, valTokens, valSum, valBytes),
                Sources = inputs.Select(Path.GetFullPath).ToList(),
                Format = format,
                ValFraction = valFraction,
                Seed = seed,
                CreatedUtc = DateTime.UtcNow,
            };
            AtomicFile.WriteAllText(Path.Combine(staging, PreparedCorpus.MetaFileName), staged.ToJson());
            string metaFile = Path.Combine(dir, PreparedCorpus.MetaFileName);
            File.Delete(metaFile);                                              // until the new meta lands, the folder reads as "not prepared", never as a mix
            foreach (var name in new[] { PreparedCorpus.TrainFileName, PreparedCorpus.ValFileName, PreparedCorpus.MetaFileName })
                File.Move(Path.Combine(staging, name), Path.Combine(dir, name), overwrite: true);
            return new PreparedCorpusInfo(staged, dir, Path.Combine(dir, PreparedCorpus.TrainFileName), Path.Combine(dir, PreparedCorpus.ValFileName), metaFile) { Skipped = skipped };
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>
    /// The document-level split: a SplitMix64 Fisher-Yates shuffle of 0..documents-1 seeded by
    /// <paramref name="seed"/>; the first round(documents * valFraction) (at least 1, at most documents-1)
    /// go to val. Each split is returned in ascending document order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Fewer than 2 documents, or <paramref name="valFraction"/> outside (0, 1).</exception>
    public static (int[] Train, int[] Val) Split(int documents, double valFraction, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(documents, 2);
        if (!(valFraction > 0 && valFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(valFraction), valFraction, "must be in (0, 1)");
        int[] order = Enumerable.Range(0, documents).ToArray();
        var rng = new SplitMix64((ulong)(long)seed);
        for (int i = documents - 1; i > 0; i--)
        {
            int j = (int)rng.NextBelow(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        int valCount = Math.Clamp((int)Math.Round(documents * valFraction, MidpointRounding.AwayFromZero), 1, documents - 1);
        return (order[valCount..].Order().ToArray(), order[..valCount].Order().ToArray());
    }

    /// <summary>Writes each document's ids plus end-of-text; returns the token count, the checksum and the documents' UTF-8 bytes.</summary>
    private static (long Tokens, string Checksum, long TextBytes) WriteShard(string path, IEnumerable<string> docs, ITokenizer tokenizer, string dtype)
    {
        int width = dtype == "uint16" ? 2 : 4;
        long tokens = 0, textBytes = 0;
        var hash = new System.IO.Hashing.XxHash3();
        AtomicFile.Write(path, stream =>
        {
            var buffer = new byte[1 << 16];
            int used = 0;
            void Put(int id)
            {
                if (used + width > buffer.Length)
                {
                    hash.Append(buffer.AsSpan(0, used));
                    stream.Write(buffer, 0, used);
                    used = 0;
                }
                if (width == 2)
                    BinaryPrimitives.WriteUInt16LittleEndian(buffer.AsSpan(used), checked((ushort)id));
                else
                    BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(used), checked((uint)id));
                used += width;
                tokens++;
            }
            foreach (string doc in docs)
            {
                textBytes += Encoding.UTF8.GetByteCount(doc);
                foreach (int id in tokenizer.Encode(doc))
                    Put(id);
                Put(tokenizer.EndOfTextId);
            }
            hash.Append(buffer.AsSpan(0, used));
            stream.Write(buffer, 0, used);
        });
        return (tokens, Integrity.FileChecksum.Format(hash.GetCurrentHashAsUInt64()), textBytes);
    }
}
