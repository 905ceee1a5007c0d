using System.CommandLine;
using GiantSharp.Checkpointing;
using GiantSharp.Config;
using GiantSharp.Data;
using GiantSharp.Errors;
using GiantSharp.Interop;
using GiantSharp.Training.Optim;

namespace GiantSharp.Cli.Commands;

/// <summary><c>giant import DIR --out CHECKPOINT_DIR</c>: a Hugging Face GPT-2 folder as a GiantSharp checkpoint (weights only, step 0).</summary>
internal static class ImportCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("dir") { Description = "Hugging Face GPT-2 folder: config.json + model.safetensors (F32)." };
        var output = new Option<string>("--out") { Description = "Folder for the checkpoint (a checkpoint store: OUT/step-00000000, OUT/latest).", Required = true };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Tokenizer of the model, byte or gpt2 (default: the one config.json names; needed when it names none)." };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace the checkpoints already in --out." };
        var command = new Command("import", "Read a Hugging Face GPT-2 folder into a GiantSharp checkpoint (fresh optimizer state, step 0).")
        {
            input, output, tokenizer, overwrite,
        };
        command.SetAction((ParseResult r) =>
        {
            var store = new CheckpointStore(r.GetValue(output)!);
            if (store.HasCheckpoints() && !r.GetValue(overwrite))
                throw new RunFolderInUseException(store.Root, "already holds checkpoints; import into a new folder or give --overwrite (nothing there was changed)");
            var (model, named) = HfGpt2Import.Load(r.GetValue(input)!);
            using var _ = model;
            var spec = Tokenizer(r.GetValue(tokenizer), named, Path.Combine(r.GetValue(input)!, HfGpt2Export.ConfigFile));
            if (spec.VocabSize > model.Config.VocabSize)
                throw new ConfigException("--tokenizer", $"the {spec.Kind} tokenizer has {spec.VocabSize} ids, more than the model's vocab_size {model.Config.VocabSize}");
            // Weights only: the run fields are defaults (data.dir a placeholder eval and generate do not read; train --resume takes its own config).
            var run = new RunConfig { Name = "imported", Model = model.Config, Data = new DataConfig { Dir = "data", Tokenizer = spec.Kind } };
            var state = new TrainState
            {
                LayerToBlock = model.Layers.LayerToBlock.ToArray(),
                TokenizerIdentity = spec.Identity,
                Tokenizer = spec,
                ConfigJson = ConfigLoader.ToJson(run),
            };
            using var optimizer = new AdamW(run.Optimizer.ToAdamW());
            var path = store.Save(model, optimizer, state, keep: 1);
            foreach (var old in Directory.EnumerateDirectories(store.Root, "step-*").Where(d => Path.GetFileName(d) != Path.GetFileName(path)).ToList())
                Directory.Delete(old, recursive: true);                    // --overwrite: the new checkpoint is published, the old ones go
            var m = model.Config;
            Console.WriteLine($"imported GPT-2: n_layer {m.NLayer}, n_head {m.NHead}, d_model {m.DModel}, d_ff {m.DFf}, vocab_size {m.VocabSize}, seq_len {m.SeqLen}; tokenizer {spec.Identity}");
            Console.WriteLine($"wrote {path}");
            return 0;
        });
        return command;
    }

    private static TokenizerSpec Tokenizer(string? kind, TokenizerSpec? named, string configFile)
    {
        if (kind is not null)
        {
            if (kind is not ("byte" or "gpt2")) throw new ConfigException("--tokenizer", $"must be byte or gpt2 (a char vocabulary comes only from config.json), got '{kind}'");
            return TokenizerFactory.ToSpec(TokenizerFactory.Create(kind, []));
        }
        if (named is null) throw new ConfigException("--tokenizer", $"{configFile} names no tokenizer ('{HfGpt2Config.TokenizerField}'); give --tokenizer byte or gpt2");
        return TokenizerFactory.ToSpec(TokenizerFactory.FromSpec(named, configFile));
    }
}
