using GiantSharp.Errors;

namespace GiantSharp.Config;

/// <summary>
/// How an image data set is prepared into an image-text corpus (JSON key <c>data.images</c>; see
/// <see cref="Data.Images.ImageTextPreparer"/>): the image tokenizer's patch size and number of codes, and the class
/// names the captions use.
/// </summary>
public sealed record ImageDataConfig
{
    /// <summary>Side of a square patch, in pixels; must divide the images (28 x 28: 2, 4, 7, 14).</summary>
    public int PatchSize { get; init; } = 4;
    /// <summary>Codes of the image tokenizer (k-means prototypes of patches), K.</summary>
    public int Codes { get; init; } = 512;
    /// <summary>Class names as noun phrases: <c>fashion-mnist</c> (its ten classes), or phrases separated by commas in label order.</summary>
    public string Classes { get; init; } = "fashion-mnist";
    /// <summary>Training patches the codebook's k-means sees (sampled with the run's seed).</summary>
    public int CodebookSamples { get; init; } = 100_000;

    /// <summary>Checks the fields.</summary>
    /// <exception cref="ConfigException">The first bad field, by key.</exception>
    public void Validate()
    {
        if (PatchSize <= 0) throw new ConfigException("data.images.patch_size", $"must be > 0 pixels, got {PatchSize}");
        if (Codes < 2 || Codes > 60_000) throw new ConfigException("data.images.codes", $"must be in [2, 60000], got {Codes}");
        if (CodebookSamples < Codes) throw new ConfigException("data.images.codebook_samples", $"must be >= codes ({Codes}), got {CodebookSamples}");
        Data.Images.Captions.Classes(Classes);
    }
}
