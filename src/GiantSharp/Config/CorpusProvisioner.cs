using GiantSharp.Data;
using GiantSharp.Data.Images;
using GiantSharp.Errors;

namespace GiantSharp.Config;

/// <summary>Makes sure the prepared corpus a <see cref="DataConfig"/> names exists, preparing it from its sources on first use.</summary>
public static class CorpusProvisioner
{
    /// <summary>
    /// Opens <c>data.dir</c>, first preparing it from <c>data.sources</c> when it holds no corpus yet: an idx image folder
    /// becomes an image-text corpus (<see cref="ImageTextPreparer"/>, per <c>data.images</c>), text a token corpus.
    /// </summary>
    /// <param name="data">The data section.</param>
    /// <param name="seed">Seed of the train/val split (and of an image corpus's phrasings and codebook).</param>
    /// <param name="log">Receives one line when preparation happens, and one per input file skipped (not text).</param>
    /// <exception cref="DataException">No corpus and no sources, a source cannot be read, or the image corpus there was prepared with other <c>data.images</c>.</exception>
    public static ITrainingCorpus Open(DataConfig data, long seed = 1234, Action<string>? log = null)
    {
        if (!File.Exists(Path.Combine(data.Dir, PreparedCorpus.MetaFileName)) && !ImageTextCorpus.IsImageTextCorpus(data.Dir))
        {
            if (data.Sources.Count == 0)
                throw new DataException(data.Dir, "no prepared corpus here (meta.json) and data.sources is empty; run 'giant prepare' first");
            if (data.Sources.Count == 1 && IdxDataset.IsIdxFolder(data.Sources[0]))
            {
                log?.Invoke($"preparing images {data.Sources[0]} -> {data.Dir}");
                ImageTextPreparer.Prepare(data.Sources[0], data.Dir, data.Images ?? new ImageDataConfig(), data.ValFraction, (int)seed, log);
            }
            else
            {
                log?.Invoke($"preparing {string.Join(", ", data.Sources)} -> {data.Dir} ({data.Tokenizer ?? "char"} tokenizer)");
                CorpusPreparer.Prepare(data.Sources, data.Dir, data.Tokenizer ?? "char", data.ValFraction, (int)seed,
                    new CorpusReadOptions { Warn = log is null ? null : line => log($"warning: {line}") });
            }
        }
        var corpus = OpenPrepared(data.Dir);
        if (corpus is ImageTextCorpus images && data.Images is { } wanted) CheckImages(images, wanted);
        if (data.Tokenizer is { } kind && corpus.Tokenizer.Kind != kind)                // text or image-text: the corpus's meta says what it was made with
        {
            var made = corpus.Tokenizer;
            corpus.Dispose();
            throw new ConfigException("data.tokenizer", $"is '{kind}' but the corpus in {data.Dir} was prepared with '{made.Kind}' ({made.Identity}, its meta.json); " +
                "prepare it again with that tokenizer into another folder, or set data.tokenizer to match");
        }
        return corpus;
    }

    /// <summary>Opens the corpus in <paramref name="dir"/>: image-text when it holds <c>image-text.json</c>, else text.</summary>
    /// <exception cref="DataException">Nothing prepared is there, or its files do not match its meta.</exception>
    public static ITrainingCorpus OpenPrepared(string dir) =>
        ImageTextCorpus.IsImageTextCorpus(dir) ? ImageTextCorpus.Open(dir) : PreparedCorpus.Open(dir);

    private static void CheckImages(ImageTextCorpus corpus, ImageDataConfig wanted)
    {
        var spec = corpus.Meta.Tokenizer.Image!;
        string? differs = spec.PatchSize != wanted.PatchSize ? $"patch_size {spec.PatchSize}, not {wanted.PatchSize}"
            : spec.Codes != wanted.Codes ? $"codes {spec.Codes}, not {wanted.Codes}"
            : !corpus.Classes.SequenceEqual(Captions.Classes(wanted.Classes)) ? "other classes"
            : null;
        if (differs is null) return;
        corpus.Dispose();
        throw new DataException(corpus.Directory, $"was prepared with {differs} (data.images); delete it to prepare again, or choose another data.dir");
    }
}
