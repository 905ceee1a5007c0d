using System.CommandLine;
using GiantSharp.Checkpointing;
using GiantSharp.Data;
using GiantSharp.Errors;
using GiantSharp.Training;

namespace GiantSharp.Cli.Commands;

/// <summary>
/// <c>giant eval CHECKPOINT DATA</c>: validation loss and perplexity of a checkpoint on a prepared corpus, by default over
/// the same validation sequences as the run's own evaluations (its <c>eval.sequences</c>), so the numbers compare; it
/// says how many it used and why.
/// </summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var checkpoint = new Argument<string>("checkpoint") { Description = "Checkpoint, or run folder (its latest checkpoint)." };
        var data = new Argument<string>("data") { Description = "Prepared corpus folder (giant prepare), text or image-text; its val split is used." };
        var sequences = new Option<int>("--sequences") { Description = "Validation windows of seq_len tokens, or image-text rows (default: the checkpoint's eval.sequences, as training evaluated).", DefaultValueFactory = _ => 0 };
        var batch = new Option<int>("--batch") { Description = "Sequences per forward pass.", DefaultValueFactory = _ => 16 };
        var threads = CommonOptions.Threads();
        var precision = CommonOptions.Precision();
        precision.Description = "Number format of the forward pass: fp32, bf16 or auto (default: the one the checkpoint was trained with).";
        var command = new Command("eval", "Print the validation loss and perplexity of a checkpoint.") { checkpoint, data, sequences, batch, threads, precision };
        command.SetAction((ParseResult r) =>
        {
            CommonOptions.Apply(r.GetValue(threads), "cpu");
            using var ckpt = LoadedCheckpoint.Open(r.GetValue(checkpoint)!);
            using var corpus = Config.CorpusProvisioner.OpenPrepared(r.GetValue(data)!);
            if (corpus.Tokenizer.Identity != ckpt.Tokenizer.Identity)
                throw new DataException(corpus.Directory, $"tokenizer {corpus.Tokenizer.Identity} differs from the checkpoint's {ckpt.Tokenizer.Identity}");
            var seqLen = ckpt.Config.Model.SeqLen;
            corpus.EnsureFits(seqLen, ckpt.Config.Model.PatchDim);
            var n = r.GetValue(sequences);
            var why = n > 0 ? "--sequences" : "eval.sequences of the checkpoint's config, as in training; --sequences to change";
            if (n <= 0) n = ckpt.Config.Eval.Sequences;
            CommonOptions.ApplyPrecision(r, precision, ckpt);
            var loss = Evaluator.Loss(ckpt.Model, corpus, n, Math.Max(1, r.GetValue(batch)));
            Console.WriteLine($"checkpoint {ckpt.Directory} (step {ckpt.State.GlobalStep})");
            Console.WriteLine(corpus is PreparedCorpus
                ? $"val loss {loss:F4} nats/token, perplexity {Math.Exp(loss):F3} over {n} sequences x {seqLen} tokens ({why})"
                : $"val loss {loss:F4} nats per predicted token (caption words and image codes), perplexity {Math.Exp(loss):F3} over {n} rows ({why})");
            return 0;
        });
        return command;
    }
}
