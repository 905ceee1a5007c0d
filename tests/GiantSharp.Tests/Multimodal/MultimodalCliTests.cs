using GiantSharp.Cli;
using GiantSharp.Tests.Cli;

namespace GiantSharp.Tests.Multimodal;

/// <summary>The image commands as a user runs them: prepare an idx folder, train, caption a PNG, draw a PNG grid, evaluate; and their refusals.</summary>
public class MultimodalCliTests
{
    [Fact]
    public void Prepare_train_caption_generate_and_eval_an_image_text_model()
    {
        using var data = new SyntheticImages();
        var corpus = Path.Combine(data.Root, "corpus");
        var prepare = GiantProcess.Run(data.Root, "prepare", data.IdxDir, "--out", corpus, "--patch-size", "4", "--codes", "8");
        Assert.True(prepare.ExitCode == 0, prepare.StdErr);
        Assert.Contains("image-text:", prepare.StdOut);
        Assert.Contains("train 9   val 1   test 8", prepare.StdOut);
        var refused = GiantProcess.Run(data.Root, "prepare", data.IdxDir, "--out", corpus, "--tokenizer", "char");
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("--tokenizer", refused.StdErr);

        var config = Path.Combine(data.Root, "run.json");
        File.WriteAllText(config, $$"""
            { "data": { "dir": "{{corpus}}" }, "out_dir": "{{Path.Combine(data.Root, "run")}}",
              "model": { "n_layer": 2, "n_head": 2, "d_model": 16, "d_ff": 32, "seq_len": 16, "patch_dim": 16 },
              "stages": [ { "name": "pseudo", "sharing": "all", "steps": 2, "micro_batch": 4, "global_batch": 4 },
                          { "name": "real", "sharing": "none", "steps": 2, "micro_batch": 4, "global_batch": 4 } ],
              "eval": { "every": 0, "sequences": 4 }, "checkpoint": { "every": 0, "keep": 1 } }
            """);
        var train = GiantProcess.Run(data.Root, "train", config, "--threads", "1");
        Assert.True(train.ExitCode == 0, train.StdErr);
        var run = Path.Combine(data.Root, "run");

        var png = Path.Combine(data.Root, "coat.png");
        ImageFiles.SaveGrid(png, [SyntheticImages.Image(2)], 8, 8, columns: 1, scale: 1, gap: 0);
        Assert.Equal(SyntheticImages.Image(2), ImageFiles.ReadGray(png, 8, 8));                   // PNG round trip
        var caption = GiantProcess.Run(data.Root, "caption", run, png, "--threads", "1");
        Assert.True(caption.ExitCode == 0, caption.StdErr);
        Assert.NotEmpty(caption.StdOut.Trim());                                                   // 4 steps: some words, not yet the right ones

        var grid = Path.Combine(data.Root, "dresses.png");
        var generate = GiantProcess.Run(data.Root, "generate", run, "--image-prompt", "a dress", "--count", "4", "--out", grid, "--threads", "1");
        Assert.True(generate.ExitCode == 0, generate.StdErr);
        Assert.Contains("wrote 4 images", generate.StdOut);
        Assert.Equal(2 * (8 * 3 + 2) + 2, SkiaSharp.SKBitmap.Decode(grid).Width);                // 2 x 2 cells of 8 x 8 pixels drawn 3 x 3

        var eval = GiantProcess.Run(data.Root, "eval", run, corpus, "--threads", "1");
        Assert.True(eval.ExitCode == 0, eval.StdErr);
        Assert.Contains("nats per predicted token", eval.StdOut);

        var unknown = GiantProcess.Run(data.Root, "generate", run, "--image-prompt", "a spaceship", "--out", grid);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("--image-prompt", unknown.StdErr);
        var cold = GiantProcess.Run(data.Root, "generate", run, "--image-prompt", "a dress", "--temperature", "-1", "--out", grid);
        Assert.Equal(2, cold.ExitCode);
        Assert.Contains("--temperature", cold.StdErr);
        var missing = GiantProcess.Run(data.Root, "caption", run, Path.Combine(data.Root, "none.png"));
        Assert.Equal(GiantSharp.Cli.CliErrors.DataError, missing.ExitCode);
        Assert.Contains("none.png", missing.StdErr);
    }

    [Fact]
    public void Image_commands_on_a_text_checkpoint_say_so()
    {
        using var text = new TinyCorpus();
        using (var corpus = text.Open())
        using (var trainer = new GiantSharp.Training.Trainer(text.Run(1, 1), corpus)) trainer.Run();
        var png = Path.Combine(text.Root, "x.png");
        ImageFiles.SaveGrid(png, [new byte[64]], 8, 8, columns: 1, scale: 1, gap: 0);
        var caption = GiantProcess.Run(text.Root, "caption", text.Run(1, 1).OutDir, png);
        Assert.Equal(GiantSharp.Cli.CliErrors.DataError, caption.ExitCode);
        Assert.Contains("is a text model", caption.StdErr);
    }
}
