namespace GiantSharp.Data;

/// <summary>An input file that was read, and its documents.</summary>
/// <param name="Path">The path as found (in an input folder) or given.</param>
/// <param name="Bytes">Its size on disk (compressed, for a .gz).</param>
/// <param name="Documents">Its non-blank documents, in order.</param>
/// <param name="SkippedLines">JSONL lines skipped because they were not JSON or lacked the text field.</param>
public sealed record TextFile(string Path, long Bytes, IReadOnlyList<string> Documents, int SkippedLines = 0);
