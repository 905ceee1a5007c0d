using GiantSharp.Errors;
using static TorchSharp.torch;

namespace GiantSharp.Data;

/// <summary>
/// A corpus folder written by <see cref="CorpusPreparer.Prepare"/>, opened for training: its tokenizer
/// and its memory-mapped train and val shards. Dispose to unmap the shards.
/// </summary>
public sealed class PreparedCorpus : ITrainingCorpus
{
    /// <summary>The metadata file in a corpus folder.</summary>
    public const string MetaFileName = "meta.json";
    /// <summary>The training shard in a corpus folder.</summary>
    public const string TrainFileName = "train.bin";
    /// <summary>The validation shard in a corpus folder.</summary>
    public const string ValFileName = "val.bin";

    private PreparedCorpus(string directory, CorpusMeta meta, ITokenizer tokenizer, TokenShard train, TokenShard val)
    {
        Directory = directory;
        Meta = meta;
        Tokenizer = tokenizer;
        Train = train;
        Val = val;
    }

    /// <summary>Opens the corpus in <paramref name="dir"/> and checks it against its meta.json.</summary>
    /// <exception cref="DataException">
    /// The folder, meta.json or a shard is missing; meta.json is invalid or its tokenizer cannot be rebuilt;
    /// a shard's size differs from the token count in meta.json.
    /// </exception>
    public static PreparedCorpus Open(string dir)
    {
        if (!System.IO.Directory.Exists(dir))
            throw new DataException(dir, "corpus folder does not exist; run 'giant prepare' first");
        string metaPath = Path.Combine(dir, MetaFileName);
        var meta = CorpusMeta.Read(metaPath);
        var tokenizer = TokenizerFactory.FromSpec(meta.Tokenizer, metaPath);
        var train = OpenShard(dir, meta, meta.Train, tokenizer.VocabSize);
        try
        {
            var val = OpenShard(dir, meta, meta.Val, tokenizer.VocabSize);
            return new PreparedCorpus(Path.GetFullPath(dir), meta, tokenizer, train, val);
        }
        catch
        {
            train.Dispose();
            throw;
        }
    }

    /// <summary>The corpus folder, absolute.</summary>
    public string Directory { get; }

    /// <summary>The contents of meta.json.</summary>
    public CorpusMeta Meta { get; }

    /// <summary>The tokenizer the shards were written with.</summary>
    public ITokenizer Tokenizer { get; }

    /// <inheritdoc />
    public double? ValTokensPerByte => Meta.Val.TextBytes is > 0 and var bytes ? (double)Meta.Val.Tokens / bytes : null;

    /// <summary>The training tokens.</summary>
    public TokenShard Train { get; }

    /// <summary>The validation tokens.</summary>
    public TokenShard Val { get; }

    /// <inheritdoc />
    public void EnsureFits(int seqLen, int patchDim)
    {
        Train.EnsureFits(seqLen);
        Val.EnsureFits(seqLen);
    }

    /// <inheritdoc />
    /// <remarks>Windows of the train shard at <see cref="BatchSampler"/>'s offsets.</remarks>
    public (Tensor X, Tensor Y) TrainBatch(int seqLen, long seed, long index, int batchSize) =>
        new BatchSampler(Train, seqLen, seed).Batch(index, batchSize);

    /// <inheritdoc />
    public int ValBatchCount(int sequences, int batchSize) => (sequences + batchSize - 1) / batchSize;

    /// <inheritdoc />
    /// <remarks>Windows of the val shard at <see cref="BatchSampler.EvalOffsets"/>.</remarks>
    public (Tensor X, Tensor Y) ValBatch(int seqLen, int sequences, int batchSize, int index)
    {
        var offsets = BatchSampler.EvalOffsets(Val, seqLen, sequences);
        int start = index * batchSize;
        return Val.GetBatch(offsets.AsSpan(start, Math.Min(batchSize, offsets.Length - start)), seqLen);
    }

    /// <summary>Unmaps both shards.</summary>
    public void Dispose()
    {
        Train.Dispose();
        Val.Dispose();
    }

    private static TokenShard OpenShard(string dir, CorpusMeta meta, SplitMeta split, int vocabSize)
    {
        var shard = TokenShard.Open(Path.Combine(dir, split.File), meta.BytesPerToken);
        try
        {
            if (shard.Length != split.Tokens)
                throw new DataException(shard.Path, $"has {shard.Length} tokens but meta.json says {split.Tokens}; re-run 'giant prepare'");
            Verify(shard.Path, meta.BytesPerToken, vocabSize, split.Checksum);
            return shard;
        }
        catch
        {
            shard.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads the shard once before any native code sees it: its checksum must be the one meta.json recorded, and every
    /// token id must be below the tokenizer's vocabulary size (an id beyond the embedding table reads out of bounds).
    /// </summary>
    /// <exception cref="DataException">The checksum differs or an id is out of range; the message names the shard.</exception>
    private static void Verify(string path, int bytesPerToken, int vocabSize, string? checksum)
    {
        long max = 0, at = -1, seen = 0;
        void Inspect(ReadOnlySpan<byte> bytes)
        {
            if (bytesPerToken == 2)
            {
                var ids = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(bytes);
                for (int i = 0; i < ids.Length; i++) if (ids[i] >= vocabSize && at < 0) { at = seen + i; max = ids[i]; }
                seen += ids.Length;
            }
            else
            {
                var ids = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, uint>(bytes);
                for (int i = 0; i < ids.Length; i++) if (ids[i] >= vocabSize && at < 0) { at = seen + i; max = ids[i]; }
                seen += ids.Length;
            }
        }
        if (checksum is null) Integrity.FileChecksum.Of(path, Inspect);
        else Integrity.FileChecksum.Verify(path, checksum, Inspect);
        if (at >= 0) throw new DataException(path, $"token {at} has id {max}, outside the tokenizer's vocabulary of {vocabSize}: the shard is corrupt; re-run 'giant prepare'");
    }
}
