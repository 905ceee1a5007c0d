using System.CommandLine;
using System.Globalization;
using GiantSharp.Config;
using GiantSharp.Data.Images;
using GiantSharp.Errors;
using GiantSharp.Multimodal;

namespace GiantSharp.Cli.Commands;

/// <summary>
/// <c>giant bench image-tokens</c>: the image tokenizer's trade-off on an image-text corpus (issue 11): for each patch
/// size and codebook size, tokens per image, round-trip RMSE and the judge's accuracy on the decoded test images.
/// </summary>
internal static class BenchImageTokensCommand
{
    public const string SectionTitle = "Image tokenizer: tokens per image against fidelity (giant bench image-tokens)";

    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "Image-text corpus folder (giant prepare on an idx folder); its judge is trained there if missing.", DefaultValueFactory = _ => "data/fashion-mnist" };
        var candidates = new Option<string>("--candidates") { Description = "Patch size x codes, comma-separated (patch size 1: a gray palette).", DefaultValueFactory = _ => "1x16,2x256,4x128,4x512,4x1024,7x1024" };
        var threads = BenchCommand.ThreadsOption();
        var output = BenchCommand.OutOption();
        var command = new Command("image-tokens", "Image tokenizers compared: tokens per image, round-trip RMSE, and the judge's accuracy on decoded test images.");
        foreach (var o in new Option[] { data, candidates, threads, output }) command.Options.Add(o);
        command.SetAction((ParseResult r) =>
        {
            BenchCommand.SetThreads(r.GetValue(threads));
            var list = Parse(r.GetValue(candidates)!);
            using var corpus = CorpusProvisioner.OpenPrepared(r.GetValue(data)!) as ImageTextCorpus
                ?? throw new DataException(r.GetValue(data)!, "is not an image-text corpus (giant prepare on an idx image folder)");
            using var judge = ImageJudge.TryLoad(corpus.Directory, corpus.Tokenizer.Identity, corpus.Tokenizer.Geometry)
                ?? Saved(ImageJudge.Train(corpus.Train, corpus.Test, corpus.Classes.Count, corpus.Tokenizer.Identity, log: Console.WriteLine), corpus.Directory);
            var cpu = Bench.CpuUsage.Now();
            var rows = ImageTokenizerStudy.Run(corpus, judge, list, log: Console.WriteLine);
            var others = Bench.CpuUsage.Now().OthersShareSince(cpu, Environment.ProcessorCount);
            var inv = CultureInfo.InvariantCulture;
            var body = string.Join("\n", [
                $"Measured {DateTime.UtcNow:yyyy-MM-dd} on {Bench.MachineInfo.Current()}; other processes took {others:P0} of the cores meanwhile. " +
                $"Codebooks learned by k-means on 100,000 patches of the {corpus.Train.Count:N0} training images; scored on the {corpus.Test.Count:N0} test images. " +
                $"The judge (test accuracy {judge.Info.TestAccuracy.ToString("F4", inv)} on the original images) labels the decoded ones.",
                "",
                $"    {BenchCommand.CommandLine(r)}",
                "",
                "| patch | codes | tokens per image | RMSE per pixel (0..255) | judge accuracy on decoded | k-means seconds |",
                "|---|---:|---:|---:|---:|---:|",
                .. rows.Select(x => $"| {x.PatchSize}x{x.PatchSize} | {x.Codes} | {x.TokensPerImage} | {x.Rmse.ToString("F2", inv)} | {x.JudgeAccuracy.ToString("F4", inv)} | {x.TrainSeconds.ToString("F0", inv)} |"),
                "",
                Bench.BenchTarget.Markdown([]),
            ]);
            Console.WriteLine(body);
            BenchCommand.Report([], r.GetValue(output), SectionTitle, body + "\n");
            return 0;
        });
        return command;
    }

    private static ImageJudge Saved(ImageJudge judge, string dir)
    {
        judge.Save(dir);
        return judge;
    }

    private static List<(int, int)> Parse(string text) => text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(item =>
    {
        var parts = item.Split('x');
        if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var size) || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var codes) || size < 1 || codes < 2)
            throw new ConfigException("--candidates", $"'{item}' is not PATCHxCODES, e.g. 4x512");
        return (size, codes);
    }).ToList();
}
