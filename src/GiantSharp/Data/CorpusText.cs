namespace GiantSharp.Data;

/// <summary>What <see cref="CorpusReader.Load"/> read: the files with their documents, and what it skipped.</summary>
/// <param name="Files">The files read, in reading order (inputs in the order given; a folder's files in ordinal path order).</param>
/// <param name="Skipped">Files and folders not read, with the reason.</param>
public sealed record CorpusText(IReadOnlyList<TextFile> Files, IReadOnlyList<SkippedFile> Skipped)
{
    /// <summary>Every document, file after file.</summary>
    public IReadOnlyList<string> Documents => [.. Files.SelectMany(f => f.Documents)];
}
