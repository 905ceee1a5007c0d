namespace GiantSharp.Data;

/// <summary>Why an input file was not read (<see cref="SkippedFile"/>). <c>--strict</c> refuses the kinds that mean "not text".</summary>
public enum SkipKind
{
    /// <summary>The same file or folder as one already read (a symlink, a hard link, a path given twice); read once.</summary>
    Duplicate,
    /// <summary>The output folder of the prepare itself, inside an input folder.</summary>
    OutputFolder,
    /// <summary>Not a regular file: a FIFO, socket or device (reading it could block forever), or a broken symlink.</summary>
    NotRegular,
    /// <summary>The file could not be read (permissions, an I/O error).</summary>
    Unreadable,
    /// <summary>Not UTF-8 text: an invalid UTF-8 sequence, a NUL byte (binary or UTF-16), or a corrupt .gz.</summary>
    NotText,
    /// <summary>UTF-8 but without a document: empty, only blank text, or JSONL without a usable line.</summary>
    NoDocuments,
}
