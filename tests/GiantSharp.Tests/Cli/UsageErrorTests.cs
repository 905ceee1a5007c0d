namespace GiantSharp.Tests.Cli;

/// <summary>Command lines that do not parse: one line, exit code 2, the offending token or option named, no .NET type name.</summary>
public sealed class UsageErrorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("giant-usage-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("unknown option or argument 'nosuch'. (see 'giant --help')", "nosuch")]
    [InlineData("unknown option or argument 'extra'. (see 'giant info --help')", "info", "m6-10t", "extra")]
    [InlineData("Cannot parse argument 'abc' for option '--steps' as a whole number. (see 'giant bench train --help')", "bench", "train", "--steps", "abc")]
    [InlineData("Cannot parse argument 'fast' for option '--mfu' as a number. (see 'giant plan --help')", "plan", "m6-10t", "--mfu", "fast")]
    [InlineData("Required argument missing for command: 'info'. (see 'giant info --help')", "info")]
    public void A_command_line_that_does_not_parse_is_one_line_and_exit_code_2(string expected, params string[] args)
    {
        var run = GiantProcess.Run(_dir, args);
        Assert.Equal(2, run.ExitCode);
        var line = Assert.Single(run.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("giant: error: " + expected, line);
        Assert.Equal("", run.StdOut.Trim());
    }

    [Theory]
    [InlineData("as expected type 'System.Int32'.", "as a whole number.")]
    [InlineData("as expected type 'System.Nullable`1[System.Int32]'.", "as a whole number.")]
    [InlineData("as expected type 'System.Double'", "as a number.")]
    [InlineData("as expected type 'System.Boolean'.", "as true or false.")]
    public void Type_names_are_said_in_words(string message, string expected) =>
        Assert.Equal(expected, GiantSharp.Cli.UsageErrors.Plain(message));
}
