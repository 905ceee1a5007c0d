using System.CommandLine;
using GiantSharp.Data;

namespace GiantSharp.Cli.Commands;

/// <summary>
/// <c>giant prepare INPUT... --out DIR --tokenizer byte|char|gpt2 [--val-fraction 0.1] [--seed 1234]
/// [--format auto|text|jsonl|fortune]</c>: UTF-8 text to token shards with a train/val split; or an idx image folder
/// to an image-text corpus (<see cref="PrepareImages"/>).
/// </summary>
internal static class PrepareCommand
{
    public static Command Create()
    {
        var inputs = new Argument<string[]>("inputs")
        {
            Description = "UTF-8 text files or folders (read recursively).",
            Arity = ArgumentArity.OneOrMore,
        };
        var outDir = new Option<string>("--out") { Description = "Corpus folder to write train.bin, val.bin and meta.json into.", Required = true };
        var tokenizer = new Option<string?>("--tokenizer") { Description = $"Tokenizer of text: {string.Join(", ", TokenizerFactory.Kinds)} (required for text; an idx image folder needs none)." };
        var valFraction = new Option<double>("--val-fraction") { Description = "Fraction of documents held out for validation, in (0, 1).", DefaultValueFactory = _ => 0.1 };
        var seed = new Option<int>("--seed") { Description = "Seed of the document shuffle that makes the split.", DefaultValueFactory = _ => 1234 };
        var format = new Option<string>("--format") { Description = $"Input format: {string.Join(", ", CorpusReader.Formats)}, idx (an image folder; auto detects it).", DefaultValueFactory = _ => "auto" };
        var images = new PrepareImages();

        var command = new Command("prepare", "Tokenize UTF-8 text into memory-mapped token shards with a train/val split, or an idx image folder into an image-text corpus.")
        {
            inputs, outDir, tokenizer, valFraction, seed, format,
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
            var info = CorpusPreparer.Prepare(
                r.GetValue(inputs)!, r.GetValue(outDir)!, r.GetValue(tokenizer)!,
                r.GetValue(valFraction), r.GetValue(seed), r.GetValue(format));
            PrintSummary(info, r.InvocationConfiguration.Output);
            return 0;
        });
        return command;
    }

    private static void PrintSummary(PreparedCorpusInfo info, TextWriter output)
    {
        var meta = info.Meta;
        output.WriteLine($"prepared {info.Directory}");
        output.WriteLine($"  tokenizer   {meta.Tokenizer.Identity}, vocab {meta.Tokenizer.VocabSize:N0}, end-of-text id {meta.Tokenizer.EndOfTextId}, {meta.Dtype}");
        output.WriteLine($"  documents   train {meta.Train.Documents:N0}   val {meta.Val.Documents:N0}   (seed {meta.Seed}, val fraction {meta.ValFraction})");
        output.WriteLine($"  tokens      train {meta.Train.Tokens:N0}   val {meta.Val.Tokens:N0}");
        output.WriteLine($"  sources     {string.Join(", ", meta.Sources)} ({meta.Format})");
        foreach (string file in info.Files)
            output.WriteLine($"  wrote       {file} ({new FileInfo(file).Length:N0} bytes)");
        foreach (string file in info.Skipped)
            output.WriteLine($"  skipped     {file} (not a regular file: FIFO, socket or device)");
    }
}
