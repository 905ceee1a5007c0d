namespace GiantSharp.Data;

/// <summary>What <see cref="CorpusPreparer.Prepare"/> wrote.</summary>
/// <param name="Meta">The contents of meta.json.</param>
/// <param name="Directory">The corpus folder, absolute.</param>
/// <param name="TrainPath">The training shard.</param>
/// <param name="ValPath">The validation shard.</param>
/// <param name="MetaPath">meta.json.</param>
public sealed record PreparedCorpusInfo(CorpusMeta Meta, string Directory, string TrainPath, string ValPath, string MetaPath)
{
    /// <summary>Every file written, in the order written (the shards, then meta.json).</summary>
    public IReadOnlyList<string> Files => [TrainPath, ValPath, MetaPath];
}
