using System.CommandLine;
using System.Globalization;
using GiantSharp.Data;

namespace GiantSharp.Cli.Commands;

/// <summary>
/// <c>giant prepare INPUT... --out DIR --tokenizer byte|char|gpt2 [--val-fraction 0.1] [--seed 1234]
/// [--format auto|text|jsonl|fortune] [--text-field text] [--strict]</c>: UTF-8 text to token shards with a train/val
/// split; or an idx image folder to an image-text corpus (<see cref="PrepareImages"/>). Files that are not text and bad
/// JSONL lines are skipped with one warning line each on stderr (errors under <c>--strict</c>).
/// </summary>
internal static class PrepareCommand
{
    private const int DuplicatesListed = 5;

    public static Command Create()
    {
        var inputs = new Argument<string[]>("inputs")
        {
            Description = "UTF-8 text files or folders (read recursively; .gz files decompressed).",
            Arity = ArgumentArity.OneOrMore,
        };
        var outDir = new Option<string>("--out") { Description = "Corpus folder to write train.bin, val.bin and meta.json into.", Required = true };
        var tokenizer = new Option<string?>("--tokenizer") { Description = $"Tokenizer of text: {string.Join(", ", TokenizerFactory.Kinds)} (required for text; an idx image folder needs none)." };
        var valFraction = new Option<double>("--val-fraction") { Description = "Fraction of tokens held out for validation, in (0, 1): whole documents, or one document cut by position.", DefaultValueFactory = _ => 0.1 };
        var seed = new Option<int>("--seed") { Description = "Seed of the document shuffle that makes the split.", DefaultValueFactory = _ => 1234 };
        var format = new Option<string>("--format") { Description = $"Input format: {string.Join(", ", CorpusReader.Formats)}, idx (an image folder; auto detects it).", DefaultValueFactory = _ => "auto" };
        var textField = new Option<string>("--text-field") { Description = "The JSONL field that holds each document.", DefaultValueFactory = _ => "text" };
        var strict = new Option<bool>("--strict") { Description = "Refuse a file that is not UTF-8 text and a bad JSONL line, instead of skipping them with a warning." };
        var images = new PrepareImages();

        var command = new Command("prepare", "Tokenize UTF-8 text into memory-mapped token shards with a train/val split, or an idx image folder into an image-text corpus.")
        {
            inputs, outDir, tokenizer, valFraction, seed, format, textField, strict,
        };
        foreach (var option in images.Options) command.Options.Add(option);
        command.SetAction((ParseResult r) =>
        {
            if (PrepareImages.Applies(r.GetValue(inputs)!, r.GetValue(format)))
            {
                images.Run(r, r.GetValue(inputs)![0], r.GetValue(outDir)!, r.GetValue(tokenizer), r.GetValue(valFraction), r.GetValue(seed), r.InvocationConfiguration.Output);
                return 0;
            }
            if (r.GetValue(tokenizer) is null) throw new Errors.ConfigException("--tokenizer", $"is required for text: {string.Join(", ", TokenizerFactory.Kinds)}");
            var error = r.InvocationConfiguration.Error;
            var read = new CorpusReadOptions
            {
                Format = r.GetValue(format)!,
                TextField = r.GetValue(textField)!,
                Strict = r.GetValue(strict),
                Warn = line => error.WriteLine($"giant: warning: {line}"),
            };
            var info = CorpusPreparer.Prepare(r.GetValue(inputs)!, r.GetValue(outDir)!, r.GetValue(tokenizer)!, r.GetValue(valFraction), r.GetValue(seed), read);
            PrintSummary(info, r.InvocationConfiguration.Output);
            return 0;
        });
        return command;
    }

    private static void PrintSummary(PreparedCorpusInfo info, TextWriter output)
    {
        var meta = info.Meta;
        var inv = CultureInfo.InvariantCulture;
        output.WriteLine($"prepared {info.Directory}");
        output.WriteLine(string.Create(inv, $"  read        {meta.Files.Count:N0} file{(meta.Files.Count == 1 ? "" : "s")} ({meta.Files.Sum(f => f.Bytes):N0} bytes), {meta.Files.Sum(f => f.Documents):N0} documents ({meta.Format}) from {string.Join(", ", meta.Sources)}"));
        int badLines = meta.Files.Sum(f => f.SkippedLines);
        if (badLines > 0)
            output.WriteLine(string.Create(inv, $"  bad lines   {badLines:N0} JSONL lines skipped (not JSON, or no string field \"{meta.TextField}\")"));
        if (meta.Skipped.Count > 0)
            output.WriteLine(string.Create(inv, $"  skipped     {meta.Skipped.Count:N0}: {SkippedFile.Describe(meta.Skipped)}; meta.json gives each reason"));
        var duplicates = meta.Skipped.Where(s => s.Kind == SkipKind.Duplicate).ToList();
        foreach (var duplicate in duplicates.Take(DuplicatesListed))
            output.WriteLine($"  duplicate   {duplicate.Path}: {duplicate.Reason}");
        if (duplicates.Count > DuplicatesListed)
            output.WriteLine($"  duplicate   ... and {duplicates.Count - DuplicatesListed} more");
        output.WriteLine(meta.Split == SplitMethod.Position
            ? string.Create(inv, $"  split       one document, by position: the first {(1 - meta.ValFraction) * 100:0.##}% of its tokens train, the rest val")
            : string.Create(inv, $"  split       by documents (seed {meta.Seed}): train {meta.Train.Documents:N0}   val {meta.Val.Documents:N0}"));
        output.WriteLine(string.Create(inv, $"  tokens      train {meta.Train.Tokens:N0}   val {meta.Val.Tokens:N0}   val fraction {meta.AchievedValFraction:F4} (asked {meta.ValFraction})"));
        output.WriteLine($"  tokenizer   {meta.Tokenizer.Identity}, vocab {meta.Tokenizer.VocabSize:N0}, end-of-text id {meta.Tokenizer.EndOfTextId}, {meta.Dtype}");
        foreach (string file in info.Files)
            output.WriteLine($"  wrote       {file} ({new FileInfo(file).Length:N0} bytes)");
    }
}
