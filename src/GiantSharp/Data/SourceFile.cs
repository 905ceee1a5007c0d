namespace GiantSharp.Data;

/// <summary>An input file read by <c>giant prepare</c>, as listed in meta.json's <c>files</c>: where its tokens went.</summary>
/// <param name="Path">The path as found (in an input folder) or given.</param>
/// <param name="Bytes">Its size on disk (compressed, for a .gz).</param>
/// <param name="Documents">Its documents.</param>
/// <param name="TrainTokens">Its tokens in train.bin, end-of-text ids included.</param>
/// <param name="ValTokens">Its tokens in val.bin, end-of-text ids included.</param>
/// <param name="SkippedLines">JSONL lines skipped because they were not JSON or lacked the text field.</param>
public sealed record SourceFile(string Path, long Bytes, long Documents, long TrainTokens, long ValTokens, int SkippedLines = 0)
{
    /// <summary>All its tokens: <see cref="TrainTokens"/> + <see cref="ValTokens"/>.</summary>
    public long Tokens => TrainTokens + ValTokens;

    /// <summary>Which shards hold its tokens: <c>train</c>, <c>val</c> or <c>train+val</c>.</summary>
    public string Split => (TrainTokens > 0, ValTokens > 0) switch
    {
        (true, true) => "train+val",
        (false, true) => "val",
        _ => "train",
    };
}
