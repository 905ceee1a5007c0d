namespace GiantSharp.Data.Images;

/// <summary>The <c>image</c> object of an image-text tokenizer in meta.json and checkpoints.</summary>
/// <param name="Height">Image rows, in pixels.</param>
/// <param name="Width">Image columns, in pixels.</param>
/// <param name="PatchSize">Side of a square patch, in pixels.</param>
/// <param name="Codes">Number of codes (K).</param>
/// <param name="Codebook">The prototypes, K x patch_size^2 bytes, base64.</param>
public sealed record ImageCodebookSpec(int Height, int Width, int PatchSize, int Codes, string Codebook);
