using System.Text.Json.Nodes;
using GiantSharp.Data;
using GiantSharp.Tests.Data;
using GiantSharp.Training;

namespace GiantSharp.Tests.Training;

public class BitsPerByteTests
{
    // Two documents of 11 characters and 13 UTF-8 bytes each (é and ö take two bytes): whichever goes to val, its
    // shard holds 11 + 1 char tokens (end-of-text included) or 13 + 1 byte tokens for 13 bytes of text.
    private const string Jsonl = "{\"text\": \"héllo wörld\"}\n{\"text\": \"wörld héllo\"}\n";

    [Theory]
    [InlineData("char", 12)]
    [InlineData("byte", 14)]
    public void Prepare_records_the_val_texts_bytes_and_bpb_is_loss_over_ln2_times_tokens_per_byte(string tokenizer, long valTokens)
    {
        using var dir = new TempDir();
        var input = dir.Write("docs.jsonl", Jsonl);
        var info = CorpusPreparer.Prepare([input], Path.Combine(dir.Path, "c"), tokenizer, valFraction: 0.5);
        Assert.Equal(13, info.Meta.Val.TextBytes);
        Assert.Equal(13, info.Meta.Train.TextBytes);
        Assert.Equal(valTokens, info.Meta.Val.Tokens);
        using var corpus = PreparedCorpus.Open(info.Directory);
        Assert.Equal(valTokens / 13.0, ((ITrainingCorpus)corpus).ValTokensPerByte!.Value, 12);
        // 2 nats per token = 2 / ln 2 = 2.8853901 bits per token; char: x 12/13 = 2.6634370, byte: x 14/13 = 3.1073432.
        Assert.Equal(tokenizer == "char" ? 2.6634370 : 3.1073432, EvalLog.BitsPerByteOf(2.0, valTokens / 13.0), 6);
    }

    [Fact]
    public void A_corpus_prepared_before_text_bytes_were_recorded_reads_and_has_no_bpb()
    {
        using var dir = new TempDir();
        var info = CorpusPreparer.Prepare([dir.Write("docs.jsonl", Jsonl)], Path.Combine(dir.Path, "c"), "char", valFraction: 0.5);
        var meta = JsonNode.Parse(File.ReadAllText(info.MetaPath))!;
        Assert.Equal(13, (long)meta["val"]!["text_bytes"]!);
        meta["val"]!.AsObject().Remove("text_bytes");
        meta["train"]!.AsObject().Remove("text_bytes");
        File.WriteAllText(info.MetaPath, meta.ToJsonString());
        using var corpus = PreparedCorpus.Open(info.Directory);
        Assert.Null(corpus.Meta.Val.TextBytes);
        Assert.Null(((ITrainingCorpus)corpus).ValTokensPerByte);
    }

    [Fact]
    public void The_trainers_evals_carry_bpb_from_the_corpus_meta()
    {
        using var tiny = new TinyCorpus(documents: 20);
        using var corpus = tiny.Open();
        var seen = new RecordingObserver();
        using (var trainer = new Trainer(tiny.Run(pseudoSteps: 1, realSteps: 1) with { Checkpoint = new GiantSharp.Config.CheckpointConfig { Every = 0, Final = false } }, corpus, [seen]))
            trainer.Run();
        Assert.Equal(2, seen.Evals.Count);                                  // the end of each stage
        var val = corpus.Meta.Val;
        Assert.True(val.TextBytes > 0);
        foreach (var e in seen.Evals)
            Assert.Equal(e.ValLoss / Math.Log(2) * val.Tokens / val.TextBytes!.Value, e.BitsPerByte!.Value, 12);
    }
}
