using GiantSharp.Errors;
using GiantSharp.Parallel;
using GiantSharp.Training.Steps;
using static TorchSharp.torch;

namespace GiantSharp.Tests.Parallel;

/// <summary>The ZeRO partition, the data share and the parallel config, on one process (no MPI needed).</summary>
public class ZeroShardsTests
{
    [Fact]
    public void Pieces_of_all_ranks_cover_every_element_once_and_round_trip()
    {
        long[] numel = [7, 1, 12, 3];
        const int n = 3;
        var tensors = numel.Select(k => arange(k, dtype: ScalarType.Float32) + 100 * k).ToList();
        var shards = Enumerable.Range(0, n).Select(r => new ZeroShards(numel, r, n)).ToList();
        Assert.Equal(3 + 1 + 4 + 1, shards[0].PieceTotal);
        for (int i = 0; i < numel.Length; i++)
        {
            var covered = shards.SelectMany(s => Enumerable.Range((int)s.Range(i).Start, (int)s.Range(i).Length)).ToList();
            Assert.Equal(Enumerable.Range(0, (int)numel[i]), covered);                  // in order, no overlap, no gap
        }
        // What an all-gather would give: every rank's packed pieces in rank order; unpacking restores the tensors.
        var gathered = cat(shards.Select(s => s.Pack(tensors, ScalarType.Float32)).ToList());
        var restored = numel.Select(k => zeros(k)).ToList();
        shards[1].Unpack(gathered, restored);
        for (int i = 0; i < numel.Length; i++) Assert.True(restored[i].allclose(tensors[i], 0, 0));
        // The reduce-scatter send buffer: block r is what Pack gives rank r.
        var send = shards[0].Interleave(tensors, ScalarType.Float32).view(n, -1);
        for (int r = 0; r < n; r++) Assert.True(send[r].allclose(shards[r].Pack(tensors, ScalarType.Float32), 0, 0));
        // PieceOf and PackPieces are inverse on one rank's buffer.
        var mine = shards[2].Pack(tensors, ScalarType.Float32);
        var pieces = Enumerable.Range(0, numel.Length).Select(i => shards[2].PieceOf(mine, i)).ToList();
        Assert.True(shards[2].PackPieces(pieces, ScalarType.Float32).allclose(mine, 0, 0));
    }

    [Fact]
    public void Data_share_takes_whole_micro_batches_or_rows()
    {
        var mbs = Enumerable.Range(0, 4).Select(i => new MicroBatch(full(4, 3, i, dtype: ScalarType.Int64), full(4, 3, i, dtype: ScalarType.Int64))).ToList();
        var whole = DataShare.Take(mbs, 1, 2);
        Assert.Equal([2L, 3L], whole.Select(m => m.X[0, 0].item<long>()));
        var rows = DataShare.Take(mbs.Take(1).ToList(), 1, 4);
        Assert.Equal(1, rows[0].X.shape[0]);
        Assert.Same(mbs, DataShare.Take(mbs, 0, 1));
        var tiny = new TinyCorpus(documents: 10);
        try
        {
            var config = tiny.Run() with { Stages = [new GiantSharp.Config.StageConfig { Steps = 1, MicroBatch = 3, GlobalBatch = 3 }] };
            var e = Assert.Throws<ConfigException>(() => DataShare.Validate(config, 2));
            Assert.Equal("stages[0].global_batch", e.Key);
            DataShare.Validate(config, 3);
        }
        finally { tiny.Dispose(); }
    }

    [Fact]
    public void Parallel_config_is_checked_and_one_process_is_one_rank()
    {
        Assert.Equal("parallel.zero_stage", Assert.Throws<ConfigException>(() => new ParallelConfig { ZeroStage = 3 }.Validate()).Key);
        Assert.Equal("parallel.bucket_mb", Assert.Throws<ConfigException>(() => new ParallelConfig { BucketMb = 0 }.Validate()).Key);
        if (Communicator.LaunchedByMpi) return;                                         // the suite itself under mpirun: not this case
        var world = Communicator.World;
        Assert.Equal((0, 1, false), (world.Rank, world.Size, world.UsesMpi));
        var t = arange(6, dtype: ScalarType.Float32);
        world.AllReduceSum(t);                                                          // the identity on one rank, no MPI touched
        Assert.True(t.allclose(arange(6, dtype: ScalarType.Float32), 0, 0));
        world.Barrier();
    }
}
