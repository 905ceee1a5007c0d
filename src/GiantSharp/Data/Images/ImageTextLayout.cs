using GiantSharp.Model;

namespace GiantSharp.Data.Images;

/// <summary>
/// M6's two pretraining tasks as sequences (Lin et al. 2021, "M6", sec. 3.2: image-based text generation, and text-to-
/// image with image codes), in the multimodal input layout of <see cref="ModelInput"/> (channels: id, prefix flag,
/// P patch pixels). Legend: N patches per image, m caption words (at most <see cref="CaptionTokens"/>), K codes.
/// <list type="bullet">
/// <item>Captioning (image -> text): <c>&lt;image&gt; p_1 .. p_N | w_1 .. w_m</c>. The prefix is <c>&lt;image&gt;</c> and
/// the N continuous patches (the <c>&lt;patch&gt;</c> token plus its pixels); position N predicts w_1, and the last
/// word predicts <c>&lt;eot&gt;</c>.</item>
/// <item>Generation (text -> image): <c>w_1 .. w_m &lt;image&gt; | c_1 .. c_(N-1)</c>. The prefix is the caption and
/// <c>&lt;image&gt;</c>, which predicts the first code; code tokens predict the next code, N targets in all.</item>
/// </list>
/// Rows are padded with <c>&lt;eot&gt;</c> to a common width; targets outside the generated part are
/// <see cref="ITrainingCorpus.IgnoreTarget"/>.
/// </summary>
public sealed class ImageTextLayout
{
    /// <summary>The layout of <paramref name="tokenizer"/>'s images with captions of up to <paramref name="captionTokens"/> words.</summary>
    public ImageTextLayout(ImageTextTokenizer tokenizer, int captionTokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(captionTokens);
        Tokenizer = tokenizer;
        CaptionTokens = captionTokens;
    }

    /// <summary>The vocabulary.</summary>
    public ImageTextTokenizer Tokenizer { get; }
    /// <summary>Longest caption, in words (m at most).</summary>
    public int CaptionTokens { get; }
    /// <summary>Patches (and codes) per image, N.</summary>
    public int Patches => Tokenizer.Geometry.Count;
    /// <summary>Pixels per patch, P: the model's patch_dim.</summary>
    public int PatchDim => Tokenizer.Geometry.PatchDim;
    /// <summary>Values per position: 2 + P.</summary>
    public int Channels => ModelInput.PatchChannel + PatchDim;
    /// <summary>The longest row of either task, in positions: 1 + N + m (captioning); the model's seq_len must reach it.</summary>
    public int SeqLen => 1 + Patches + CaptionTokens;
    /// <summary>Prefix length of a captioning row: 1 + N.</summary>
    public int CaptionPrefix => 1 + Patches;

    /// <summary>
    /// Writes a captioning row of width <paramref name="width"/>: image <paramref name="patches"/> (N * P bytes) and the
    /// words so far. With <paramref name="y"/> non-empty, also the targets (the words, then <c>&lt;eot&gt;</c>).
    /// </summary>
    /// <returns>The row's length (1 + N + words), the last position's logits predicting the next word.</returns>
    /// <exception cref="ArgumentException">The row does not fit in <paramref name="width"/>.</exception>
    public int CaptionRow(Span<long> x, Span<long> y, int width, ReadOnlySpan<byte> patches, ReadOnlySpan<int> words)
    {
        int length = CaptionPrefix + words.Length;
        Clear(x, y, width, length);
        Put(x, 0, Tokenizer.ImageId, prefix: true);
        for (int g = 0; g < Patches; g++)
            Put(x, 1 + g, Tokenizer.PatchId, prefix: true, patches.Slice(g * PatchDim, PatchDim));
        for (int j = 0; j < words.Length; j++)
            Put(x, CaptionPrefix + j, words[j], prefix: false);
        if (!y.IsEmpty)
            for (int j = 0; j <= words.Length; j++)
                y[Patches + j] = j < words.Length ? words[j] : Tokenizer.EndOfTextId;
        return length;
    }

    /// <summary>
    /// Writes a generation row of width <paramref name="width"/>: the caption <paramref name="words"/>, <c>&lt;image&gt;</c>,
    /// then the codes (0..K-1) given as input. With <paramref name="y"/> non-empty, <paramref name="targets"/> are written
    /// as the targets from the <c>&lt;image&gt;</c> position on (training passes codes c_1..c_(N-1) and targets c_1..c_N).
    /// </summary>
    /// <returns>The row's length (m + 1 + codes).</returns>
    /// <exception cref="ArgumentException">The row does not fit in <paramref name="width"/>.</exception>
    public int GenerationRow(Span<long> x, Span<long> y, int width, ReadOnlySpan<int> words, ReadOnlySpan<int> codes, ReadOnlySpan<int> targets = default)
    {
        int prefix = words.Length + 1, length = prefix + codes.Length;
        Clear(x, y, width, Math.Max(length, words.Length + targets.Length));
        for (int j = 0; j < words.Length; j++)
            Put(x, j, words[j], prefix: true);
        Put(x, words.Length, Tokenizer.ImageId, prefix: true);
        for (int k = 0; k < codes.Length; k++)
            Put(x, prefix + k, Tokenizer.FirstCodeId + codes[k], prefix: false);
        if (!y.IsEmpty)
            for (int k = 0; k < targets.Length; k++)
                y[words.Length + k] = Tokenizer.FirstCodeId + targets[k];
        return length;
    }

    private void Clear(Span<long> x, Span<long> y, int width, int length)
    {
        if (length > width) throw new ArgumentException($"a row of {length} positions does not fit in {width}");
        if (x.Length != width * Channels || (!y.IsEmpty && y.Length != width)) throw new ArgumentException($"row buffers must hold {width} x {Channels} inputs and {width} targets");
        x.Clear();
        for (int t = 0; t < width; t++) x[t * Channels] = Tokenizer.EndOfTextId;
        y.Fill(ITrainingCorpus.IgnoreTarget);
    }

    private void Put(Span<long> x, int t, int id, bool prefix, ReadOnlySpan<byte> patch = default)
    {
        var at = x.Slice(t * Channels, Channels);
        at[ModelInput.TokenChannel] = id;
        at[ModelInput.PrefixChannel] = prefix ? 1 : 0;
        for (int i = 0; i < patch.Length; i++) at[ModelInput.PatchChannel + i] = patch[i];
    }
}
