using System.Diagnostics;
using System.Globalization;
using GiantSharp.Bench;
using GiantSharp.Checkpointing;
using GiantSharp.Config;
using GiantSharp.Data.Images;
using GiantSharp.Experiments;
using GiantSharp.Multimodal;
using Spectre.Console;

namespace GiantSharp.Cli.Commands;

/// <summary>
/// <c>giant demo --preset m6-fashion</c>: M6 on clothes. Prepares the image-text corpus (idx images, k-means image
/// tokenizer, captions), trains or reuses the project's judge (an image classifier, saved beside the corpus), trains
/// Pseudo-to-Real against the same Real Giant from scratch, then measures both final models: captioning accuracy on the
/// whole test split, and 100 generated images per class judged on-prompt and by Fréchet distance to real images (with
/// the real-vs-real floor). Writes curves.csv/png, generated-*.png (a row per class), captions.md with
/// test-images.png, and summary.md.
/// </summary>
internal static class MultimodalDemo
{
    /// <summary>Sampling of the generated images: the model's own distribution.</summary>
    private const double Temperature = 1.0;
    private const int PerClass = 100, GridColumns = 10, CaptionSamples = 20;

    /// <summary>Whether <paramref name="run"/> is an image-text run (its model reads continuous patches).</summary>
    public static bool Applies(RunConfig run) => run.Model.PatchDim > 0;

    public static void Run(RunConfig baseRun, string outDir, string presetPath)
    {
        var cpu = CpuUsage.Now();
        var clock = Stopwatch.StartNew();
        AnsiConsole.MarkupLine($"[bold]GiantSharp demo[/]: {Markup.Escape(presetPath)}: M6 image-text model, {baseRun.Model.NLayer} layers, d_model {baseRun.Model.DModel}, " +
            $"{baseRun.TotalSteps} steps per run; stages {Markup.Escape(string.Join(" -> ", baseRun.Stages.Select(s => $"{s.Name} ({s.Sharing}, {s.Steps})")))}");
        using var corpus = CorpusProvisioner.Open(baseRun.Data, baseRun.Seed, Console.WriteLine) as ImageTextCorpus
            ?? throw new Errors.ConfigException("data.dir", $"{baseRun.Data.Dir} is a text corpus; a model with patch_dim > 0 trains on an image-text corpus (an idx image folder in data.sources)");
        var prepared = clock.Elapsed.TotalSeconds;
        using var judge = ImageJudge.TryLoad(corpus.Directory, corpus.Tokenizer.Identity, corpus.Tokenizer.Geometry) ?? TrainJudge(corpus, (int)baseRun.Seed);
        AnsiConsole.MarkupLine($"judge: a small CNN trained on the train split, test accuracy [bold]{judge.Info.TestAccuracy:F4}[/] on {judge.Info.TestImages:N0} images");
        var judged = clock.Elapsed.TotalSeconds;

        var a = baseRun with { Name = "pseudo-to-real", OutDir = Path.Combine(outDir, "pseudo-to-real") };
        var b = PseudoToRealComparison.FromScratch(baseRun, Path.Combine(outDir, "scratch")) with { Name = "scratch" };
        var runs = new (RunConfig Config, EvalCurve Curve)[] { (a, new EvalCurve("pseudo-to-real")), (b, new EvalCurve("from scratch")) };
        foreach (var (config, curve) in runs) TrainCommand.Train(config, extra: [curve], label: curve.Name);
        var trained = clock.Elapsed.TotalSeconds;

        var curves = runs.Select(r => r.Curve).ToList();
        var rows = PseudoToRealComparison.Report(curves);
        var scores = runs.Select(r => Measure(r.Config.OutDir, r.Curve.Name, corpus, judge, outDir)).ToList();
        var table = new Table().Title("Pseudo-to-Real vs from scratch, M6 image-text model").AddColumn("measure");
        foreach (var c in curves) table.AddColumn(Markup.Escape(c.Name));
        var measures = rows.Select(r => (r.Measure, Values: r.Values.ToList())).Concat(MetricRows(scores, judge)).ToList();
        foreach (var (measure, values) in measures) table.AddRow(values.Prepend(measure).Select(Markup.Escape).ToArray());
        AnsiConsole.Write(table);

        File.WriteAllText(Path.Combine(outDir, "curves.csv"), PseudoToRealComparison.ToCsv(curves));
        Plots.ValidationCurves(curves, $"{baseRun.Name}: Pseudo-to-Real vs from scratch (val loss per predicted token)", Path.Combine(outDir, "curves.png"));
        WriteCaptions(outDir, corpus, scores);
        var timing = $"preparing {prepared:F0} s, judge {judged - prepared:F0} s, training {trained - judged:F0} s, measuring {clock.Elapsed.TotalSeconds - trained:F0} s, " +
            $"total {clock.Elapsed.TotalSeconds:F0} s; other processes took {CpuUsage.Now().OthersShareSince(cpu, Environment.ProcessorCount):P0} of the {Environment.ProcessorCount} cores meanwhile";
        File.WriteAllText(Path.Combine(outDir, "summary.md"), Summary(baseRun, presetPath, curves, measures, judge, timing));
        AnsiConsole.MarkupLine(Markup.Escape(timing));
        AnsiConsole.MarkupLine($"wrote {Markup.Escape(outDir)}: curves.csv, curves.png, generated-*.png, captions.md, test-images.png, summary.md");
    }

    private static ImageJudge TrainJudge(ImageTextCorpus corpus, int seed)
    {
        var judge = ImageJudge.Train(corpus.Train, corpus.Test, corpus.Classes.Count, corpus.Tokenizer.Identity, seed: seed, log: Console.WriteLine);
        judge.Save(corpus.Directory);
        return judge;
    }

    private static (string Name, CaptionScore Captions, GenerationScore Generation) Measure(string runDir, string name, ImageTextCorpus corpus, ImageJudge judge, string outDir)
    {
        using var ckpt = LoadedCheckpoint.Open(runDir);
        var captions = MultimodalEvaluation.Captions(ckpt.Model, corpus, corpus.Test);
        AnsiConsole.MarkupLine($"{Markup.Escape(name)}: captions name the right class for {captions.Accuracy:P1} of {captions.Images:N0} test images ({captions.Seconds:F0} s)");
        var generation = MultimodalEvaluation.Generation(ckpt.Model, corpus, judge, PerClass, Temperature, seed: 1);
        AnsiConsole.MarkupLine($"{Markup.Escape(name)}: {generation.OnPrompt:P1} of {PerClass * corpus.Classes.Count} generated images judged on-prompt; Fréchet distance {generation.Fid:F2} (real vs real {generation.FidFloor:F2}) ({generation.Seconds:F0} s)");
        var grid = Enumerable.Range(0, corpus.Classes.Count).SelectMany(c => generation.Images.Skip(c * PerClass).Take(GridColumns)).ToList();
        var g = corpus.Tokenizer.Geometry;
        ImageFiles.SaveGrid(Path.Combine(outDir, $"generated-{Slug(name)}.png"), grid, g.Height, g.Width, GridColumns, scale: 3);
        return (name, captions, generation);
    }

    private static IEnumerable<(string Measure, List<string> Values)> MetricRows(IReadOnlyList<(string Name, CaptionScore Captions, GenerationScore Generation)> scores, ImageJudge judge)
    {
        string P(double v) => v.ToString("F4", CultureInfo.InvariantCulture);
        yield return ($"caption accuracy, {scores[0].Captions.Images:N0} test images (target >= 0.85)", scores.Select(s => P(s.Captions.Accuracy)).ToList());
        yield return ($"generated on-prompt, {scores[0].Generation.PerClassCount} per class (target >= 0.75; judge test accuracy {P(judge.Info.TestAccuracy)})", scores.Select(s => P(s.Generation.OnPrompt)).ToList());
        yield return ("Fréchet distance to real test images (judge features)", scores.Select(s => s.Generation.Fid.ToString("F2", CultureInfo.InvariantCulture)).ToList());
        yield return ("  floor: real vs real, same sizes", scores.Select(s => s.Generation.FidFloor.ToString("F2", CultureInfo.InvariantCulture)).ToList());
    }

    private static void WriteCaptions(string outDir, ImageTextCorpus corpus, IReadOnlyList<(string Name, CaptionScore Captions, GenerationScore Generation)> scores)
    {
        var g = corpus.Tokenizer.Geometry;
        var images = Enumerable.Range(0, CaptionSamples).Select(i => corpus.Test.Pixels(i).ToArray()).ToList();
        ImageFiles.SaveGrid(Path.Combine(outDir, "test-images.png"), images, g.Height, g.Width, GridColumns, scale: 3);
        var lines = new List<string>
        {
            $"The first {CaptionSamples} test images (test-images.png, left to right, top to bottom) and their greedy captions.", "",
            "| # | label | " + string.Join(" | ", scores.Select(s => s.Name)) + " |",
            "|---|---|" + string.Concat(scores.Select(_ => "---|")),
        };
        for (int i = 0; i < CaptionSamples; i++)
            lines.Add($"| {i} | {corpus.Classes[corpus.Test.Label(i)]} | {string.Join(" | ", scores.Select(s => s.Captions.Captions[i]))} |");
        lines.Add("");
        lines.Add("Caption accuracy per class: " + string.Join("; ", scores.Select(s =>
            $"{s.Name}: " + string.Join(", ", corpus.Classes.Select((c, k) => $"{Captions.Keyword(c)[^1]} {s.Captions.PerClass[k]:F2}")))));
        lines.Add("");
        lines.Add("Generated on-prompt per class: " + string.Join("; ", scores.Select(s =>
            $"{s.Name}: " + string.Join(", ", corpus.Classes.Select((c, k) => $"{Captions.Keyword(c)[^1]} {s.Generation.PerClass[k]:F2}")))));
        File.WriteAllText(Path.Combine(outDir, "captions.md"), string.Join("\n", lines) + "\n");
    }

    private static string Summary(RunConfig run, string preset, IReadOnlyList<EvalCurve> curves, IReadOnlyList<(string Measure, List<string> Values)> measures, ImageJudge judge, string timing)
    {
        var lines = new List<string>
        {
            $"Preset `{preset}`: M6 image-text model, {run.Model.NLayer} layers, d_model {run.Model.DModel}, n_head {run.Model.NHead}, d_ff {run.Model.DFf}, seq_len {run.Model.SeqLen}, patch_dim {run.Model.PatchDim}; " +
            $"stages {string.Join(" -> ", run.Stages.Select(s => $"{s.Name} ({s.Sharing}, {s.Steps} steps, global batch {s.GlobalBatch})"))}; " +
            $"delink optimizer state `{run.Delink.OptimizerState.ToString().ToLowerInvariant()}`; {TorchSharp.torch.get_num_threads()} threads; {DateTime.UtcNow:yyyy-MM-dd}.",
            "",
            $"Val loss is per predicted token (caption words and image codes together). Captions: greedy, words only. Generated images: " +
            $"{PerClass} per class, prompt = the class phrase (\"a sneaker\"), temperature {Temperature}, no top-k/top-p, seed 1 + class. " +
            $"Judge: {judge.Info.Epochs} epochs on {judge.Info.TrainImages:N0} training images, test accuracy {judge.Info.TestAccuracy:F4}.",
            "",
            "| measure | " + string.Join(" | ", curves.Select(c => c.Name)) + " |",
            "|---|" + string.Concat(curves.Select(_ => "---|")),
        };
        lines.AddRange(measures.Select(m => $"| {m.Measure} | {string.Join(" | ", m.Values)} |"));
        lines.Add("");
        lines.Add($"Time: {timing}.");
        return string.Join("\n", lines) + "\n";
    }

    private static string Slug(string name) => string.Concat(name.Select(ch => char.IsLetterOrDigit(ch) ? ch : '-')).Trim('-');
}
