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
        var train = OpenShard(dir, meta, meta.Train);
        try
        {
            var val = OpenShard(dir, meta, meta.Val);
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

    private static TokenShard OpenShard(string dir, CorpusMeta meta, SplitMeta split)
    {
        var shard = TokenShard.Open(Path.Combine(dir, split.File), meta.BytesPerToken);
        if (shard.Length != split.Tokens)
        {
            shard.Dispose();
            throw new DataException(shard.Path, $"has {shard.Length} tokens but meta.json says {split.Tokens}; re-run 'giant prepare'");
        }
        return shard;
    }
}
