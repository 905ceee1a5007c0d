namespace GiantSharp.Data.Images;

/// <summary>One split of an image-text corpus in its meta file.</summary>
/// <param name="File">The record file's name in the corpus folder, e.g. <c>train.bin</c>.</param>
/// <param name="Examples">Number of examples (records).</param>
public sealed record ImageSplitMeta(string File, int Examples);
