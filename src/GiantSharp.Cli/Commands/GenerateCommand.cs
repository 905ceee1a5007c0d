using System.CommandLine;
using GiantSharp.Checkpointing;
using GiantSharp.Inference;

namespace GiantSharp.Cli.Commands;

/// <summary>
/// <c>giant generate CHECKPOINT --prompt TEXT</c>: samples a continuation from a trained model; with an image-text
/// checkpoint, <c>--image-prompt TEXT --count N --out FILE.png</c> draws images (<see cref="ImagePrompts"/>).
/// </summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var checkpoint = new Argument<string>("checkpoint") { Description = "Checkpoint, or run folder (its latest checkpoint)." };
        var prompt = new Option<string>("--prompt") { Description = "Text to continue.", DefaultValueFactory = _ => "" };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Tokens to generate.", DefaultValueFactory = _ => 200 };
        var temperature = new Option<double>("--temperature") { Description = "Softmax temperature; 0 is greedy.", DefaultValueFactory = _ => 0.8 };
        var topK = new Option<int>("--top-k") { Description = "Sample among the k most likely tokens (0: all).", DefaultValueFactory = _ => 0 };
        var topP = new Option<double>("--top-p") { Description = "Nucleus sampling: smallest set of tokens with this much probability.", DefaultValueFactory = _ => 0.95 };
        var seed = new Option<long>("--seed") { Description = "Random seed (same seed, same text).", DefaultValueFactory = _ => 0 };
        var threads = CommonOptions.Threads();
        var images = new ImagePrompts();
        var command = new Command("generate", "Sample text from a checkpoint, or images (--image-prompt) from an image-text checkpoint.") { checkpoint, prompt, maxTokens, temperature, topK, topP, seed, threads };
        var precision = CommonOptions.Precision();
        precision.Description = "Number format of the forward pass: fp32, bf16 or auto (default: the one the checkpoint was trained with).";
        command.Options.Add(precision);
        foreach (var option in images.Options) command.Options.Add(option);
        command.SetAction((ParseResult r) =>
        {
            CommonOptions.Apply(r.GetValue(threads), "cpu");
            CheckSampling(r.GetValue(maxTokens), r.GetValue(temperature), r.GetValue(topK), r.GetValue(topP));
            using var ckpt = LoadedCheckpoint.Open(r.GetValue(checkpoint)!);
            CommonOptions.ApplyPrecision(r, precision, ckpt);
            if (images.Prompt(r) is not null)
            {
                Console.WriteLine(images.Run(r, ckpt, r.GetValue(temperature), r.GetValue(topK), r.GetValue(topP), r.GetValue(seed)));
                return 0;
            }
            Console.WriteLine(Sample(ckpt, r.GetValue(prompt)!, r.GetValue(maxTokens), r.GetValue(temperature), r.GetValue(topK), r.GetValue(topP), r.GetValue(seed)));
            return 0;
        });
        return command;
    }

    /// <summary>Checks the sampling options before any work, naming the option at fault.</summary>
    /// <exception cref="Errors.ConfigException">--max-tokens below 0, --temperature negative or not finite, --top-k below 0, or --top-p outside (0, 1].</exception>
    public static void CheckSampling(int maxTokens, double temperature, int topK, double topP)
    {
        if (maxTokens < 0) throw new Errors.ConfigException("--max-tokens", $"must be >= 0, got {maxTokens}");
        if (!(temperature >= 0) || double.IsInfinity(temperature)) throw new Errors.ConfigException("--temperature", $"must be finite and >= 0, got {temperature}");
        if (topK < 0) throw new Errors.ConfigException("--top-k", $"must be >= 0 (0: off), got {topK}");
        if (!(topP > 0 && topP <= 1)) throw new Errors.ConfigException("--top-p", $"must be in (0, 1], got {topP}");
    }

    /// <summary>The prompt followed by up to <paramref name="maxTokens"/> sampled tokens, stopping at end-of-text.</summary>
    public static string Sample(LoadedCheckpoint ckpt, string prompt, int maxTokens, double temperature, int topK, double topP, long seed)
    {
        var tok = ckpt.Tokenizer;
        int[] ids = prompt.Length == 0 ? [tok.EndOfTextId] : tok.Encode(prompt);
        var output = Sampler.Generate(ckpt.Model, ids, maxTokens, temperature, topK, topP, seed, tok.EndOfTextId);
        var start = prompt.Length == 0 ? 1 : 0;
        return tok.Decode(output.AsSpan(start)).Replace("<|endoftext|>", "");
    }
}
