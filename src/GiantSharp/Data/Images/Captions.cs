using GiantSharp.Errors;

namespace GiantSharp.Data.Images;

/// <summary>
/// English captions from class labels, in varied phrasings ("a pair of trousers", "a photo of an ankle boot", ...),
/// and the way back: which class a caption names. A class is a noun phrase with its article (<c>an ankle boot</c>); its
/// keyword is the phrase without the article, matched as whole words.
/// </summary>
public static class Captions
{
    /// <summary>Fashion-MNIST's ten classes (Xiao et al. 2017, table 1), in label order, as noun phrases.</summary>
    public static IReadOnlyList<string> FashionMnist { get; } =
        ["a t-shirt", "a pair of trousers", "a pullover", "a dress", "a coat", "a sandal", "a shirt", "a sneaker", "a bag", "an ankle boot"];

    /// <summary>The phrasings; <c>{0}</c> is the class's noun phrase.</summary>
    public static IReadOnlyList<string> Templates { get; } =
        ["{0}", "a photo of {0}", "a picture of {0}", "{0} for sale", "here is {0}", "this is {0}", "a product photo of {0}", "an image of {0}"];

    /// <summary>The class phrases <paramref name="spec"/> names: <c>fashion-mnist</c>, or noun phrases separated by commas.</summary>
    /// <exception cref="ConfigException">Key <c>data.images.classes</c>: empty, repeated, or a phrase whose keyword is empty.</exception>
    public static IReadOnlyList<string> Classes(string spec)
    {
        if (spec == "fashion-mnist") return FashionMnist;
        var phrases = spec.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(p => string.Join(' ', ImageTextTokenizer.Words(p))).ToList();
        if (phrases.Count < 2) throw new ConfigException("data.images.classes", $"must be 'fashion-mnist' or at least two noun phrases separated by commas, got '{spec}'");
        if (phrases.Distinct().Count() != phrases.Count) throw new ConfigException("data.images.classes", $"names a class twice: '{spec}'");
        if (phrases.Any(p => Keyword(p).Length == 0)) throw new ConfigException("data.images.classes", $"has a phrase that is only an article: '{spec}'");
        return phrases;
    }

    /// <summary>The caption of an example of class phrase <paramref name="phrase"/> in phrasing <paramref name="template"/>.</summary>
    public static string Write(string phrase, int template) => string.Format(System.Globalization.CultureInfo.InvariantCulture, Templates[template], phrase);

    /// <summary>The phrasing of example <paramref name="index"/> of split <paramref name="split"/>: a pure function of (seed, split, index).</summary>
    public static int Template(int seed, int split, int index) =>
        (int)new SplitMix64(SplitMix64.Mix(SplitMix64.Mix((ulong)(long)seed) ^ (ulong)split) ^ (ulong)index).NextBelow(Templates.Count);

    /// <summary>
    /// The class a caption names: the one class whose keyword stands in <paramref name="caption"/> as whole words, or -1
    /// when none or several do.
    /// </summary>
    public static int ClassOf(string caption, IReadOnlyList<string> classes)
    {
        var words = ImageTextTokenizer.Words(caption);
        int found = -1;
        for (int c = 0; c < classes.Count; c++)
        {
            var key = Keyword(classes[c]);
            if (!Contains(words, key)) continue;
            if (found >= 0) return -1;
            found = c;
        }
        return found;
    }

    /// <summary>The words of a class phrase without its leading article (a, an, the, some).</summary>
    public static string[] Keyword(string phrase)
    {
        var words = ImageTextTokenizer.Words(phrase);
        return words.Length > 0 && words[0] is "a" or "an" or "the" or "some" ? words[1..] : words;
    }

    private static bool Contains(string[] words, string[] key)
    {
        if (key.Length == 0) return false;
        for (int i = 0; i + key.Length <= words.Length; i++)
            if (words.AsSpan(i, key.Length).SequenceEqual(key)) return true;
        return false;
    }
}
