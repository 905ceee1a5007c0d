namespace GiantSharp.Tests.Data;

/// <summary>Texts that stress tokenizers: Chinese poems, emoji with ZWJ and surrogate pairs, mixed scripts.</summary>
internal static class Samples
{
    public const string TangPoem = "《静夜思》\n作者：李白\n床前明月光，疑是地上霜。\n举头望明月，低头思故乡。";
    public const string SongPoem = "《水调歌头》\n作者：苏轼\n明月几时有？把酒问青天。\n不知天上宫阙，今夕是何年。";
    public const string Emoji = "family 👨‍👩‍👧‍👦, flag 🇨🇳, skin 👍🏽, math 𝔸𝕓, rare 𠀋 (U+2000B)";
    public const string Mixed = "Hello, мир! Γειά σου. مرحبا שלום नमस्ते 안녕하세요 こんにちは café naïve\tend\r\n";

    public static readonly string[] All = [TangPoem, SongPoem, Emoji, Mixed];

    /// <summary>A fortune-format file: colored titles (ANSI codes), entries split by lines of "%".</summary>
    public const string FortuneFile =
        "\u001b[32m《静夜思》\u001b[m\n\u001b[33m作者：李白\u001b[m\n床前明月光，疑是地上霜。\n举头望明月，低头思故乡。\n%\n" +
        "\u001b[32m《春晓》\u001b[m\n\u001b[33m作者：孟浩然\u001b[m\n春眠不觉晓，处处闻啼鸟。\n夜来风雨声，花落知多少。\n%\n" +
        "\u001b[32m《登鹳雀楼》\u001b[m\n\u001b[33m作者：王之涣\u001b[m\n白日依山尽，黄河入海流。\n欲穷千里目，更上一层楼。\n%\n";

    /// <summary>The three documents of <see cref="FortuneFile"/>, as the reader should return them.</summary>
    public static readonly string[] FortuneDocs =
    [
        "《静夜思》\n作者：李白\n床前明月光，疑是地上霜。\n举头望明月，低头思故乡。",
        "《春晓》\n作者：孟浩然\n春眠不觉晓，处处闻啼鸟。\n夜来风雨声，花落知多少。",
        "《登鹳雀楼》\n作者：王之涣\n白日依山尽，黄河入海流。\n欲穷千里目，更上一层楼。",
    ];

    /// <summary>tang300 from fortunes-zh (installed by scripts/setup.sh), in either layout Debian uses.</summary>
    public static string Tang300Path()
    {
        foreach (string path in new[] { "/usr/share/games/fortunes/tang300", "/usr/share/games/fortunes/zh/tang300" })
            if (File.Exists(path))
                return path;
        throw new FileNotFoundException("tang300 not found: run scripts/setup.sh (installs fortunes-zh)");
    }
}
