namespace GiantSharp.Tests.Cli;

/// <summary><c>giant plan</c>: the paper's shape on the paper's cluster, and bad cluster values refused in one line.</summary>
public sealed class PlanCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("giant-plan-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void The_paper_run_fits_512_ranks_only_with_experts_partitioned_and_the_real_giant_steps_slower()
    {
        var replicated = GiantProcess.Run(_dir, "plan", "m6-10t");
        Assert.Equal(0, replicated.ExitCode);
        Assert.Contains("does not fit: pseudo, real", replicated.StdOut);
        var partitioned = GiantProcess.Run(_dir, "plan", "m6-10t", "--expert-parallel", "--zero-stage", "2");
        Assert.Equal(0, partitioned.ExitCode);
        Assert.DoesNotContain("does not fit", partitioned.StdOut);
        var ratio = System.Text.RegularExpressions.Regex.Match(partitioned.StdOut, @"Real Giant step / Pseudo Giant step: ([0-9.]+)x");
        Assert.True(ratio.Success, partitioned.StdOut);
        Assert.True(double.Parse(ratio.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 1);
    }

    [Theory]
    [InlineData("--ranks", "3", "--expert-parallel")]
    [InlineData("--mfu", "2", "--mfu")]
    [InlineData("--network", "fast", "--network")]
    [InlineData("--zero-stage", "3", "--zero-stage")]
    public void A_bad_cluster_value_is_one_line_naming_the_option(string option, string value, string named)
    {
        var run = GiantProcess.Run(_dir, "plan", "m6-10t", "--expert-parallel", option, value);
        Assert.Equal(2, run.ExitCode);
        var line = Assert.Single(run.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"'{named}'", line);
    }
}
