using GiantSharp.Config;
using GiantSharp.Errors;

namespace GiantSharp.Tests.Config;

/// <summary>A config that is not JSON: the file, the line and column as an editor counts them (from 1), no System.Text.Json position text.</summary>
public sealed class ConfigSyntaxErrorTests
{
    [Fact]
    public void A_syntax_error_names_the_file_line_and_column_counted_from_one()
    {
        using var tmp = new TempDir();
        var path = Path.Combine(tmp.Path, "broken.json");
        File.WriteAllText(path, "{ \"name\": \"x\",\n  , \"model\": {} }\n");
        var e = Assert.Throws<DataException>(() => ConfigLoader.Load(path));
        Assert.Contains("broken.json", e.Message);
        Assert.Contains("not valid JSON at line 2, column 3: ", e.Message);
        Assert.DoesNotContain("LineNumber", e.Message);
        Assert.DoesNotContain("BytePositionInLine", e.Message);
    }
}
