using System.Reflection;
using System.Runtime.Loader;
using System.Text.RegularExpressions;
using GiantSharp.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace GiantSharp.Tests.Docs;

/// <summary>
/// docs/library.md's program, compiled by Roslyn exactly as the page shows it and run: the Pseudo Giant trains, the Real Giant has
/// three more blocks' parameters and trains on, and the saved checkpoint loads back to the same validation loss.
/// </summary>
[Collection(GlobalRngCollection.Name)]
public partial class LibraryDocTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string RepoFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "GiantSharp.slnx"))) return Path.Combine(dir.FullName, relative);
        throw new FileNotFoundException("the repository root (GiantSharp.slnx) is not above the test folder");
    }

    /// <summary>The page's one csharp block, compiled against the assemblies this test runs with.</summary>
    private static Assembly Compile(string source)
    {
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Select(path => MetadataReference.CreateFromFile(path));
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        const string implicitUsings = "global using System; global using System.IO; global using System.Linq; global using System.Collections.Generic;"; // as the SDK generates
        var compilation = CSharpCompilation.Create("LibraryDoc",
            [CSharpSyntaxTree.ParseText(source, parse), CSharpSyntaxTree.ParseText(implicitUsings, parse)],
            references,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable, platform: Platform.X64)
                .WithSpecificDiagnosticOptions([KeyValuePair.Create("CS8012", ReportDiagnostic.Suppress)]));   // framework facades are AnyCPU, GiantSharp x64
        using var image = new MemoryStream();
        var result = compilation.Emit(image);
        var problems = result.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning).Select(d => d.ToString()).ToList();
        Assert.True(result.Success && problems.Count == 0, string.Join("\n", problems));
        image.Position = 0;
        return new AssemblyLoadContext("library-doc", isCollectible: true).LoadFromStream(image);
    }

    [Fact]
    public void The_program_on_the_page_compiles_and_runs_pseudo_to_real()
    {
        var page = File.ReadAllText(RepoFile("docs/library.md"));
        var blocks = CSharpBlock().Matches(page);
        var source = Assert.Single(blocks).Groups[1].Value;
        Assert.InRange(source.Split('\n').Length, 30, 55);                                      // "about 40 lines"

        var text = Path.Combine(_dir.Path, "poems.txt");
        File.WriteAllLines(text, Enumerable.Range(0, 80).SelectMany(d => new[] { $"Document {d}: the moon over the river, line {d % 7}.", "Wind in the pines; the old bridge.", "%" }));
        var output = new StringWriter();
        var console = Console.Out;
        Console.SetOut(output);
        var program = Compile(source);
        try { program.EntryPoint!.Invoke(null, [new[] { text, _dir.Path }]); }
        finally { Console.SetOut(console); }

        var lines = output.ToString();
        var pseudo = Regex.Match(lines, @"pseudo: (\d+) parameters, loss ([\d.]+)");
        var real = Regex.Match(lines, @"real: (\d+) parameters, loss ([\d.]+)");
        var saved = Regex.Match(lines, @"val loss ([\d.]+), loaded back ([\d.]+)");
        Assert.True(pseudo.Success && real.Success && saved.Success, lines);

        // Delinking adds three copies of the one block (4 layers): the parameter counts differ by exactly that.
        var config = new ModelConfig { NLayer = 4, NHead = 2, DModel = 32, DFf = 128, SeqLen = 32, VocabSize = 257 };
        using var block = new TransformerBlock(config);
        Assert.Equal(3 * block.parameters().Sum(p => p.numel()), long.Parse(real.Groups[1].Value) - long.Parse(pseudo.Groups[1].Value));
        // Training learned something (uniform over 257 bytes is ln 257 = 5.55 nats), and the loaded checkpoint is the saved model.
        Assert.True(double.Parse(real.Groups[2].Value) < 3.0, lines);
        Assert.Equal(saved.Groups[1].Value, saved.Groups[2].Value);
        Assert.True(File.Exists(Path.Combine(_dir.Path, "checkpoints", "step-00000050", "model.safetensors")));
    }

    [GeneratedRegex(@"```csharp\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();
}
