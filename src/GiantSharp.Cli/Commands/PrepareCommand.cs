using System.CommandLine;
using GiantSharp.Data;

namespace GiantSharp.Cli.Commands;

/// <summary>
/// <c>giant prepare INPUT... --out DIR --tokenizer byte|char|gpt2 [--val-fraction 0.1] [--seed 1234]
/// [--format auto|text|jsonl|fortune]</c>: UTF-8 text to token shards with a train/val split.
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
        var tokenizer = new Option<string>("--tokenizer") { Description = $"Tokenizer: {string.Join(", ", TokenizerFactory.Kinds)}.", Required = true };
        var valFraction = new Option<double>("--val-fraction") { Description = "Fraction of documents held out for validation, in (0, 1).", DefaultValueFactory = _ => 0.1 };
        var seed = new Option<int>("--seed") { Description = "Seed of the document shuffle that makes the split.", DefaultValueFactory = _ => 1234 };
        var format = new Option<string>("--format") { Description = $"Input format: {string.Join(", ", CorpusReader.Formats)}.", DefaultValueFactory = _ => "auto" };

        var command = new Command("prepare", "Tokenize UTF-8 text into memory-mapped token shards with a train/val split.")
        {
            inputs, outDir, tokenizer, valFraction, seed, format,
        };
        command.SetAction((ParseResult r) =>
        {
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
    }
}
