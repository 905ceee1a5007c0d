using System.Buffers.Binary;
using GiantSharp.Errors;

namespace GiantSharp.Data;

/// <summary>
/// Text to token shards: reads documents (<see cref="CorpusReader"/>), tokenizes them, splits the tokens into train/val
/// at the fraction asked for (<see cref="CorpusSplit"/>: whole documents by a seeded shuffle, or one document by
/// position), and writes <c>train.bin</c>, <c>val.bin</c> (each document's ids followed by the end-of-text id,
/// little-endian uint16 or uint32) and <c>meta.json</c> (with the files read and skipped).
/// </summary>
/// <remarks>
/// Holds every document and its ids in memory while it works (the char tokenizer needs them all to build its
/// vocabulary), so it suits corpora that fit in RAM; tokenizing runs on one thread.
/// </remarks>
public static class CorpusPreparer
{
    /// <summary>Prepares a corpus folder that <see cref="PreparedCorpus.Open"/> reads.</summary>
    /// <param name="inputs">Files or folders of UTF-8 text.</param>
    /// <param name="outDir">The corpus folder; created if needed, its shards and meta.json replaced. Never read as input.</param>
    /// <param name="tokenizerKind"><c>byte</c>, <c>char</c> or <c>gpt2</c>.</param>
    /// <param name="valFraction">Fraction of tokens for validation, in (0, 1); at least one document (or, for one document, one token) goes to each split.</param>
    /// <param name="seed">Seed of the document shuffle; the same seed and inputs give the same split on every machine.</param>
    /// <param name="read">Format, JSONL field, strictness and warnings (<see cref="CorpusReadOptions"/>); null for the defaults.</param>
    /// <returns>The meta written and the paths of the three files.</returns>
    /// <exception cref="ConfigException">Keys <c>inputs</c>, <c>tokenizer</c>, <c>val_fraction</c>, <c>format</c> or <c>text_field</c>.</exception>
    /// <exception cref="DataException">An input yields no text (see <see cref="CorpusReader.Load"/>), a single document has fewer than 2 tokens, or <paramref name="outDir"/> is a file.</exception>
    /// <exception cref="IOException">The output cannot be written (e.g. the disk is full).</exception>
    public static PreparedCorpusInfo Prepare(
        IReadOnlyList<string> inputs, string outDir, string tokenizerKind,
        double valFraction = 0.1, int seed = 1234, CorpusReadOptions? read = null)
    {
        if (inputs.Count == 0)
            throw new ConfigException("inputs", "no input files or folders given");
        TokenizerFactory.CheckKind(tokenizerKind);
        if (!(valFraction > 0 && valFraction < 1))
            throw new ConfigException("val_fraction", $"must be > 0 and < 1, got {valFraction}");
        read = (read ?? new CorpusReadOptions()).Checked();
        if (File.Exists(outDir))
            throw new DataException(outDir, "is a file; --out must be a folder");
        string dir = Path.GetFullPath(outDir);

        var text = CorpusReader.Load(inputs, read with { Exclude = [.. read.Exclude, dir] });
        var docs = text.Documents;
        var tokenizer = TokenizerFactory.Create(tokenizerKind, docs);
        int[][] ids = docs.Select(tokenizer.Encode).ToArray();
        var split = SplitTokens(ids, valFraction, seed, text.Files[0].Path);
        string dtype = CorpusMeta.DtypeFor(tokenizer.VocabSize);

        Directory.CreateDirectory(dir);
        foreach (var stale in Directory.EnumerateDirectories(dir, ".prepare-*").ToList())   // left by a killed prepare
            Directory.Delete(stale, recursive: true);
        // Everything is written into a folder beside the corpus first: a prepare that fails (disk full, bad input,
        // kill) leaves the existing corpus as it was. Only then are the files swapped in by renames, meta.json last.
        string staging = Path.Combine(dir, $".prepare-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            var (trainTokens, trainSum, trainBytes) = WriteShard(Path.Combine(staging, PreparedCorpus.TrainFileName), split.Train, tokenizer, dtype);
            var (valTokens, valSum, valBytes) = WriteShard(Path.Combine(staging, PreparedCorpus.ValFileName), split.Val, tokenizer, dtype);
            var staged = new CorpusMeta
            {
                Tokenizer = TokenizerFactory.ToSpec(tokenizer),
                Dtype = dtype,
                Train = new SplitMeta(PreparedCorpus.TrainFileName, split.Train.Count, trainTokens, trainSum, trainBytes),
                Val = new SplitMeta(PreparedCorpus.ValFileName, split.Val.Count, valTokens, valSum, valBytes),
                Sources = inputs.Select(Path.GetFullPath).ToList(),
                Format = read.Format,
                TextField = read.TextField,
                ValFraction = valFraction,
                Split = split.Method,
                Seed = seed,
                Files = SourceFiles(text.Files, split.TrainTokensPerDoc, split.ValTokensPerDoc),
                Skipped = text.Skipped,
                CreatedUtc = DateTime.UtcNow,
            };
            AtomicFile.WriteAllText(Path.Combine(staging, PreparedCorpus.MetaFileName), staged.ToJson());
            string metaFile = Path.Combine(dir, PreparedCorpus.MetaFileName);
            File.Delete(metaFile);                                              // until the new meta lands, the folder reads as "not prepared", never as a mix
            foreach (var name in new[] { PreparedCorpus.TrainFileName, PreparedCorpus.ValFileName, PreparedCorpus.MetaFileName })
                File.Move(Path.Combine(staging, name), Path.Combine(dir, name), overwrite: true);
            return new PreparedCorpusInfo(staged, dir, Path.Combine(dir, PreparedCorpus.TrainFileName), Path.Combine(dir, PreparedCorpus.ValFileName), metaFile);
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>The split of the documents' ids: the segments of each shard (ids without end-of-text) and each document's shard tokens.</summary>
    private sealed record TokenSplit(SplitMethod Method, List<int[]> Train, List<int[]> Val, long[] TrainTokensPerDoc, long[] ValTokensPerDoc);

    /// <summary>Two or more documents split whole by <see cref="CorpusSplit.ByTokens"/>; one document cut by <see cref="CorpusSplit.PositionCut"/>.</summary>
    private static TokenSplit SplitTokens(int[][] ids, double valFraction, int seed, string firstFile)
    {
        var trainPerDoc = new long[ids.Length];
        var valPerDoc = new long[ids.Length];
        if (ids.Length == 1)
        {
            int[] all = ids[0];
            if (all.Length < 2)
                throw new DataException(firstFile, $"is one document of {all.Length} token(s), too short to split into train and val");
            int cut = CorpusSplit.PositionCut(all.Length, valFraction);
            (trainPerDoc[0], valPerDoc[0]) = (cut + 1, all.Length - cut + 1);
            return new TokenSplit(SplitMethod.Position, [all[..cut]], [all[cut..]], trainPerDoc, valPerDoc);
        }
        var (train, val) = CorpusSplit.ByTokens(ids.Select(d => d.Length + 1L).ToArray(), valFraction, seed);
        foreach (int d in train) trainPerDoc[d] = ids[d].Length + 1L;
        foreach (int d in val) valPerDoc[d] = ids[d].Length + 1L;
        return new TokenSplit(SplitMethod.Documents, train.Select(d => ids[d]).ToList(), val.Select(d => ids[d]).ToList(), trainPerDoc, valPerDoc);
    }

    /// <summary>Each file read with its tokens per split (documents are numbered file after file).</summary>
    private static List<SourceFile> SourceFiles(IReadOnlyList<TextFile> files, long[] trainPerDoc, long[] valPerDoc)
    {
        var sources = new List<SourceFile>();
        int doc = 0;
        foreach (var file in files)
        {
            int n = file.Documents.Count;
            sources.Add(new SourceFile(file.Path, file.Bytes, n, trainPerDoc.AsSpan(doc, n).ToArray().Sum(), valPerDoc.AsSpan(doc, n).ToArray().Sum(), file.SkippedLines));
            doc += n;
        }
        return sources;
    }

    /// <summary>Writes each segment's ids plus end-of-text; returns the token count, the checksum and the text bytes.</summary>
    /// <remarks>The text bytes are the UTF-8 bytes of each segment's decoded text (a whole document, or one side of a position cut), for bits per byte.</remarks>
    private static (long Tokens, string Checksum, long TextBytes) WriteShard(string path, IEnumerable<int[]> segments, ITokenizer tokenizer, string dtype)
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
            foreach (int[] segment in segments)
            {
                textBytes += System.Text.Encoding.UTF8.GetByteCount(tokenizer.Decode(segment));
                foreach (int id in segment)
                    Put(id);
                Put(tokenizer.EndOfTextId);
            }
            hash.Append(buffer.AsSpan(0, used));
            stream.Write(buffer, 0, used);
        });
        return (tokens, Integrity.FileChecksum.Format(hash.GetCurrentHashAsUInt64()), textBytes);
    }
}
