using System.CommandLine;
using GiantSharp.Checkpointing;
using GiantSharp.Multimodal;

namespace GiantSharp.Cli.Commands;

/// <summary><c>giant caption CHECKPOINT IMAGE...</c>: prints a caption of each image, from an image-text model.</summary>
internal static class CaptionCommand
{
    public static Command Create()
    {
        var checkpoint = new Argument<string>("checkpoint") { Description = "Checkpoint of an image-text model, or its run folder (latest checkpoint)." };
        var images = new Argument<string[]>("images")
        {
            Description = "Image files (PNG, JPEG, ...), read as grayscale and resized to the training images' size; like Fashion-MNIST, a light garment on a dark background.",
            Arity = ArgumentArity.OneOrMore,
        };
        var threads = CommonOptions.Threads();
        var command = new Command("caption", "Caption images with an image-text checkpoint (image -> text).") { checkpoint, images, threads };
        command.SetAction((ParseResult r) =>
        {
            CommonOptions.Apply(r.GetValue(threads), "cpu");
            using var ckpt = LoadedCheckpoint.Open(r.GetValue(checkpoint)!);
            var layout = ImagePrompts.Layout(ckpt);
            var geometry = layout.Tokenizer.Geometry;
            var files = r.GetValue(images)!;
            var patches = files.Select(f =>
            {
                var pixels = ImageFiles.ReadGray(f, geometry.Height, geometry.Width);
                var cut = new byte[pixels.Length];
                geometry.Cut(pixels, cut);
                return cut;
            }).ToList();
            var captions = ImageCaptioner.Caption(ckpt.Model, layout, patches);
            for (int i = 0; i < files.Length; i++)
                Console.WriteLine(files.Length == 1 ? layout.Tokenizer.Decode(captions[i]) : $"{files[i]}: {layout.Tokenizer.Decode(captions[i])}");
            return 0;
        });
        return command;
    }
}
