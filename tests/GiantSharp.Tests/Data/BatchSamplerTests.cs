using GiantSharp.Data;
using GiantSharp.Errors;
using static TorchSharp.torch;

namespace GiantSharp.Tests.Data;

public sealed class BatchSamplerTests : IDisposable
{
    private readonly TempDir _dir = new();

    /// <summary>A uint16 shard whose token at position i is i (so X[b, t] = offset + t).</summary>
    private TokenShard CountingShard(int length)
    {
        var bytes = new byte[length * 2];
        for (int i = 0; i < length; i++)
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(i * 2), (ushort)i);
        return TokenShard.Open(_dir.WriteBytes($"count{length}.bin", bytes), bytesPerToken: 2);
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void SplitMix64_matches_the_reference_sequence()
    {
        var rng = new SplitMix64(0);
        Assert.Equal(0xE220A8397B1DCDAFUL, rng.Next());
        Assert.Equal(0x6E789E6AA1B965F4UL, rng.Next());
    }

    [Fact]
    public void Offsets_are_a_pure_function_of_seed_and_batch_index()
    {
        using var shard = CountingShard(1000);
        var sampler = new BatchSampler(shard, seqLen: 16, seed: 42);

        // Pinned (checked against a Python SplitMix64): the same on every machine.
        Assert.Equal([604L, 442, 203, 393], sampler.Offsets(0, 4));
        Assert.Equal([97L, 960, 119, 401], sampler.Offsets(1, 4));
        Assert.Equal(sampler.Offsets(7, 8), new BatchSampler(shard, 16, 42).Offsets(7, 8));
        Assert.NotEqual(sampler.Offsets(7, 8), new BatchSampler(shard, 16, 43).Offsets(7, 8));
        Assert.Equal(sampler.Offsets(3, 4), sampler.Offsets(3, 8)[..4]);
    }

    [Fact]
    public void Offsets_cover_every_valid_start_and_no_other()
    {
        using var shard = CountingShard(20);
        var sampler = new BatchSampler(shard, seqLen: 16, seed: 1);

        var seen = Enumerable.Range(0, 200).SelectMany(k => sampler.Offsets(k, 8)).ToHashSet();

        Assert.Equal([0L, 1, 2, 3], seen.Order()); // 20 tokens, windows of 17
    }

    [Fact]
    public void Batch_targets_are_the_inputs_shifted_by_one_token()
    {
        using var scope = NewDisposeScope();
        using var shard = CountingShard(1000);
        var sampler = new BatchSampler(shard, seqLen: 16, seed: 42);

        var (x, y) = sampler.Batch(5, 4);

        long[] offsets = sampler.Offsets(5, 4);
        Assert.Equal([4L, 16], x.shape);
        Assert.Equal([4L, 16], y.shape);
        Assert.Equal(ScalarType.Int64, x.dtype);
        Assert.Equal(ScalarType.Int64, y.dtype);
        long[] xs = x.data<long>().ToArray(), ys = y.data<long>().ToArray();
        for (int b = 0; b < 4; b++)
            for (int t = 0; t < 16; t++)
            {
                Assert.Equal(offsets[b] + t, xs[b * 16 + t]);     // token i of the shard is i
                Assert.Equal(xs[b * 16 + t] + 1, ys[b * 16 + t]); // Y is X one token on
            }
        Assert.True(x[.., 1..].eq(y[.., ..^1]).all().item<bool>());
    }

    [Fact]
    public void Get_batch_reads_uint32_shards()
    {
        using var scope = NewDisposeScope();
        uint[] ids = [70_000, 1, 65_536, 4_000_000, 7];
        var bytes = new byte[ids.Length * 4];
        for (int i = 0; i < ids.Length; i++)
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 4), ids[i]);
        using var shard = TokenShard.Open(_dir.WriteBytes("wide.bin", bytes), bytesPerToken: 4);

        var (x, y) = shard.GetBatch([0, 1], seqLen: 3);

        Assert.Equal([70_000L, 1, 65_536, 1, 65_536, 4_000_000], x.data<long>().ToArray());
        Assert.Equal([1L, 65_536, 4_000_000, 65_536, 4_000_000, 7], y.data<long>().ToArray());
        Assert.Equal(4_000_000, shard[3]);
    }

    [Fact]
    public void Shard_shorter_than_seq_len_plus_one_is_a_data_error()
    {
        using var shard = CountingShard(16);

        var e = Assert.Throws<DataException>(() => new BatchSampler(shard, seqLen: 16, seed: 0));

        Assert.Equal(shard.Path, e.Path);
        Assert.Equal($"{shard.Path}: has 16 tokens, fewer than seq_len+1 = 17", e.Message);
        Assert.Throws<DataException>(() => shard.GetBatch([0], 16));
        Assert.Throws<DataException>(() => BatchSampler.EvalOffsets(shard, 16, 1));
        Assert.Equal("seq_len", Assert.Throws<ConfigException>(() => new BatchSampler(shard, 0, 0)).Key);
    }

    [Fact]
    public void Get_batch_rejects_windows_that_leave_the_shard()
    {
        using var shard = CountingShard(20);
        Assert.Throws<ArgumentOutOfRangeException>(() => shard.GetBatch([4], 16));
        Assert.Throws<ArgumentOutOfRangeException>(() => shard.GetBatch([-1], 16));
        Assert.Throws<ArgumentOutOfRangeException>(() => shard.GetBatch([], 16));
    }

    [Fact]
    public void Eval_offsets_are_fixed_and_evenly_spread_from_first_to_last_window()
    {
        using var shard = CountingShard(1000);

        long[] offsets = BatchSampler.EvalOffsets(shard, seqLen: 99, count: 5);

        Assert.Equal([0L, 225, 450, 675, 900], offsets); // last start = 1000 - 99 - 1
        Assert.Equal([0L], BatchSampler.EvalOffsets(shard, 99, 1));
    }

    [Fact]
    public void Odd_sized_shard_file_is_a_data_error()
    {
        string path = _dir.WriteBytes("odd.bin", [1, 2, 3]);
        Assert.Equal(path, Assert.Throws<DataException>(() => TokenShard.Open(path, 2)).Path);
    }
}
