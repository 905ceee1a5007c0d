namespace GiantSharp.Data;

/// <summary>One split (train or val) in meta.json.</summary>
/// <param name="File">The shard's file name, relative to the corpus folder, e.g. <c>train.bin</c>.</param>
/// <param name="Documents">Number of documents in the split.</param>
/// <param name="Tokens">Number of tokens in the shard, end-of-text ids included.</param>
/// <param name="Checksum">XxHash3 of the shard's bytes (<see cref="Integrity.FileChecksum"/>), verified on open; null in corpora prepared before checksums.</param>
/// <param name="TextBytes">
/// UTF-8 bytes of the split's documents as read (end-of-text markers not counted), so that a loss in nats per token
/// converts to bits per byte, comparable across tokenizers; null in corpora prepared before it was recorded.
/// </param>
public sealed record SplitMeta(string File, long Documents, long Tokens, string? Checksum = null, long? TextBytes = null);
