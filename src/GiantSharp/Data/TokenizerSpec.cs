using System.Text.Json.Serialization;

namespace GiantSharp.Data;

/// <summary>
/// The <c>tokenizer</c> object of meta.json: enough to rebuild the exact tokenizer a corpus was prepared with.
/// </summary>
/// <param name="Kind"><c>byte</c>, <c>char</c> or <c>gpt2</c>.</param>
/// <param name="Identity">Kind plus vocabulary hash, e.g. <c>char:3f2a9c1d</c>.</param>
/// <param name="VocabSize">Number of ids, V.</param>
/// <param name="EndOfTextId">The id that ends each document.</param>
/// <param name="Vocab">For <c>char</c>: the code points in id order, without the special tokens; for <c>image-text</c>: the caption words.</param>
/// <param name="Image">For <c>image-text</c> only: image size, patch size and the image codebook.</param>
public sealed record TokenizerSpec(
    string Kind,
    string Identity,
    int VocabSize,
    int EndOfTextId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Vocab = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Images.ImageCodebookSpec? Image = null);
