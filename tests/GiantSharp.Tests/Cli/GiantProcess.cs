using System.Diagnostics;

namespace GiantSharp.Tests.Cli;

/// <summary>Runs the built <c>giant</c> CLI as a child process, as a user would, and captures its exit code and output.</summary>
internal static class GiantProcess
{
    public sealed record Result(int ExitCode, string StdOut, string StdErr);

    public static Result Run(string workingDir, params string[] args) => RunWith(workingDir, new Dictionary<string, string>(), args);

    /// <summary>As <see cref="Run"/>, with these environment variables set for the child.</summary>
    public static Result RunWith(string workingDir, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "giant.dll");
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (key, value) in environment) psi.Environment[key] = value;
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000)) { p.Kill(entireProcessTree: true); throw new TimeoutException($"giant {string.Join(' ', args)} did not finish"); }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }
}
