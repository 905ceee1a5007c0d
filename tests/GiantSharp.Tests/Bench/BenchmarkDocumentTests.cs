using GiantSharp.Bench;

namespace GiantSharp.Tests.Bench;

public class BenchmarkDocumentTests
{
    private const string Doc = "# Benchmarks\n\nIntro.\n\n## A\n\nold a\n\n## B\n\nkeep b\n";

    [Fact]
    public void A_section_is_replaced_in_place_and_the_others_kept()
    {
        var text = BenchmarkDocument.ReplaceSection(Doc, "A", "new a\n| x |");
        Assert.Equal("# Benchmarks\n\nIntro.\n\n## A\n\nnew a\n| x |\n\n## B\n\nkeep b\n", text);
        Assert.Equal(text, BenchmarkDocument.ReplaceSection(text, "A", "new a\n| x |"));
    }

    [Fact]
    public void A_new_section_is_appended_and_the_last_one_replaced_to_the_end()
    {
        var text = BenchmarkDocument.ReplaceSection(Doc, "C", "c");
        Assert.EndsWith("## B\n\nkeep b\n\n## C\n\nc\n", text);
        Assert.EndsWith("## B\n\nb2\n\n## C\n\nc\n", BenchmarkDocument.ReplaceSection(text, "B", "b2"));
    }

    [Fact]
    public void A_missing_file_is_created_with_a_title()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "docs", "benchmarks.md");
        BenchmarkDocument.WriteSection(path, "A", "a");
        Assert.Equal("# Benchmarks\n\n## A\n\na\n", File.ReadAllText(path));
    }

    [Fact]
    public void Sections_and_subsections_read_back()
    {
        var text = BenchmarkDocument.ReplaceSection(Doc, "A", "intro\n\n### x\n\nx1\n\n### y\ny1");
        var body = BenchmarkDocument.ReadSection(text, "A")!;
        Assert.Equal("intro\n\n### x\n\nx1\n\n### y\ny1", body);
        Assert.Equal([("x", "### x\n\nx1"), ("y", "### y\ny1")], BenchmarkDocument.Subsections(body));
        Assert.Null(BenchmarkDocument.ReadSection(text, "Z"));
        Assert.Equal("keep b", BenchmarkDocument.ReadSection(text, "B"));
    }
}
