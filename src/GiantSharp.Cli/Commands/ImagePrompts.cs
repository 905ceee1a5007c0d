using System.CommandLine;
using GiantSharp.Checkpointing;
using GiantSharp.Data.Images;
using GiantSharp.Errors;
using GiantSharp.Multimodal;

namespace GiantSharp.Cli.Commands;

/// <summary>
/// The image half of <c>giant generate</c>: <c>--image-prompt TEXT --count N --out FILE.png</c> samples N images of an
/// image-text checkpoint for the caption TEXT and writes them as a PNG grid.
/// </summary>
internal sealed class ImagePrompts
{
    private readonly Option<string?> _prompt = new("--image-prompt") { Description = "Caption to draw images for (image-text checkpoints), e.g. \"a sneaker\"; writes a PNG grid." };
    private readonly Option<int> _count = new("--count") { Description = "With --image-prompt: images to draw.", DefaultValueFactory = _ => 16 };
    private readonly Option<string> _out = new("--out") { Description = "With --image-prompt: the PNG file to write.", DefaultValueFactory = _ => "generated.png" };

    /// <summary>The options to add to the command.</summary>
    public IEnumerable<Option> Options => [_prompt, _count, _out];

    /// <summary>The caption asked for, or null for text generation.</summary>
    public string? Prompt(ParseResult r) => r.GetValue(_prompt);

    /// <summary>Draws the images and writes the grid; returns a line saying what was written.</summary>
    /// <exception cref="ConfigException">--count, --temperature, --top-k or --top-p is out of range, or the prompt has a word the model never saw.</exception>
    public string Run(ParseResult r, LoadedCheckpoint ckpt, double temperature, int topK, double topP, long seed)
    {
        int count = r.GetValue(_count);
        if (count < 1) throw new ConfigException("--count", $"must be >= 1, got {count}");
        if (!(temperature >= 0) || double.IsInfinity(temperature)) throw new ConfigException("--temperature", $"must be finite and >= 0, got {temperature}");
        if (topK < 0) throw new ConfigException("--top-k", $"must be >= 0 (0: off), got {topK}");
        if (!(topP > 0 && topP <= 1)) throw new ConfigException("--top-p", $"must be in (0, 1], got {topP}");
        var layout = Layout(ckpt);
        var text = r.GetValue(_prompt)!;
        var words = layout.Tokenizer.Encode(text);
        var unknown = ImageTextTokenizer.Words(text).Where((_, i) => words[i] == layout.Tokenizer.UnknownId).ToList();
        if (words.Length == 0 || unknown.Count > 0)
            throw new ConfigException("--image-prompt", $"'{text}' has words the model never saw ({string.Join(", ", unknown)}); it knows: {string.Join(" ", layout.Tokenizer.Vocab)}");
        if (words.Length > layout.CaptionTokens) throw new ConfigException("--image-prompt", $"has {words.Length} words; this model's context leaves room for {layout.CaptionTokens}");
        var codes = ImageGenerator.Generate(ckpt.Model, layout, words, count, temperature, topK, topP, seed);
        var images = codes.Select(c => ImageGenerator.Render(layout.Tokenizer, c)).ToList();
        var path = r.GetValue(_out)!;
        ImageFiles.SaveGrid(path, images, layout.Tokenizer.Geometry.Height, layout.Tokenizer.Geometry.Width, columns: (int)Math.Ceiling(Math.Sqrt(count)), scale: 3);
        return $"wrote {count} images for \"{layout.Tokenizer.Decode(words)}\" to {path}";
    }

    /// <summary>
    /// The layout of an image-text checkpoint, with captions as long as its context leaves room for (seq_len - 1 - N).
    /// </summary>
    /// <exception cref="DataException">The checkpoint is a text model.</exception>
    public static ImageTextLayout Layout(LoadedCheckpoint ckpt)
    {
        if (ckpt.Tokenizer is not ImageTextTokenizer tokenizer)
            throw new DataException(ckpt.Directory, $"is a text model (tokenizer {ckpt.Tokenizer.Identity}); images need an image-text checkpoint (e.g. giant demo --preset m6-fashion)");
        int room = ckpt.Config.Model.SeqLen - 1 - tokenizer.Geometry.Count;
        if (room < 1) throw new DataException(ckpt.Directory, $"has seq_len {ckpt.Config.Model.SeqLen}, no room for a caption after {tokenizer.Geometry.Count} patches");
        return new ImageTextLayout(tokenizer, room);
    }
}
