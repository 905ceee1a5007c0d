using System.CommandLine;
using GiantSharp.Config;
using GiantSharp.Data.Images;
using GiantSharp.Errors;

namespace GiantSharp.Cli.Commands;

/// <summary>
/// The image half of <c>giant prepare</c>: an idx image folder (e.g. <c>/usr/share/datasets/fashion-mnist</c>) to an
/// image-text corpus (<see cref="ImageTextPreparer"/>), with <c>--patch-size</c>, <c>--codes</c> and <c>--classes</c>.
/// </summary>
internal sealed class PrepareImages
{
    private readonly Option<int> _patchSize = new("--patch-size") { Description = "Images: side of a square patch in pixels (image tokenizer).", DefaultValueFactory = _ => new ImageDataConfig().PatchSize };
    private readonly Option<int> _codes = new("--codes") { Description = "Images: codes of the image tokenizer (k-means prototypes of patches).", DefaultValueFactory = _ => new ImageDataConfig().Codes };
    private readonly Option<string> _classes = new("--classes") { Description = "Images: class names for captions: fashion-mnist, or noun phrases separated by commas in label order.", DefaultValueFactory = _ => "fashion-mnist" };

    /// <summary>The options to add to the command.</summary>
    public IEnumerable<Option> Options => [_patchSize, _codes, _classes];

    /// <summary>Whether <paramref name="inputs"/> is one idx image folder (with format auto or idx).</summary>
    /// <exception cref="DataException">The format is idx but the input is not one idx folder.</exception>
    public static bool Applies(IReadOnlyList<string> inputs, string? format)
    {
        bool idx = inputs.Count == 1 && IdxDataset.IsIdxFolder(inputs[0]);
        if (format == "idx" && !idx) throw new DataException(string.Join(", ", inputs), "--format idx needs one folder holding train-images-idx3-ubyte(.gz), train-labels, t10k-images and t10k-labels");
        return idx && format is null or "auto" or "idx";
    }

    /// <summary>Prepares the corpus and prints what was written.</summary>
    /// <exception cref="ConfigException">A text tokenizer was asked for, or an option is out of range.</exception>
    public void Run(ParseResult r, string input, string outDir, string? tokenizer, double valFraction, int seed, TextWriter output)
    {
        if (tokenizer is not null) throw new ConfigException("--tokenizer", $"'{tokenizer}' is for text; an image-text corpus has its own caption-word and image-code vocabulary (leave --tokenizer out)");
        var images = new ImageDataConfig { PatchSize = r.GetValue(_patchSize), Codes = r.GetValue(_codes), Classes = r.GetValue(_classes)! };
        var meta = ImageTextPreparer.Prepare(input, outDir, images, valFraction, seed, output.WriteLine);
        var image = meta.Tokenizer.Image!;
        output.WriteLine($"prepared {Path.GetFullPath(outDir)}");
        output.WriteLine($"  tokenizer   {meta.Tokenizer.Identity}, vocab {meta.Tokenizer.VocabSize:N0}: {meta.Tokenizer.Vocab!.Count} caption words, 4 specials, {image.Codes} image codes");
        output.WriteLine($"  images      {image.Height}x{image.Width}, {image.PatchSize}x{image.PatchSize} patches ({image.Height / image.PatchSize * (image.Width / image.PatchSize)} per image), codebook RMSE {meta.CodebookRmse:F2} per pixel");
        output.WriteLine($"  examples    train {meta.Train.Examples:N0}   val {meta.Val.Examples:N0}   test {meta.Test.Examples:N0}   (seed {meta.Seed}, val fraction {meta.ValFraction})");
        output.WriteLine($"  captions    up to {meta.CaptionTokens} words; classes {string.Join(", ", meta.Classes)}");
    }
}
