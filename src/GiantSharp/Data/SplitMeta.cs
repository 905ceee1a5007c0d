namespace GiantSharp.Data;

/// <summary>One split (train or val) in meta.json.</summary>
/// <param name="File">The shard's file name, relative to the corpus folder, e.g. <c>train.bin</c>.</param>
/// <param name="Documents">Number of documents in the split.</param>
/// <param name="Tokens">Number of tokens in the shard, end-of-text ids included.</param>
/// <param name="Checksum">XxHash3 of the shard's bytes (<see cref="Integrity.FileChecksum"/>), verified on open; null in corpora prepared before checksums.</param>
public sealed record SplitMeta(string File, long Documents, long Tokens, string? Checksum = null);
