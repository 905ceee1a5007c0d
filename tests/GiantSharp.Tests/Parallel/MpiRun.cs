using System.Diagnostics;
using GiantSharp.Tests.Cli;

namespace GiantSharp.Tests.Parallel;

/// <summary>Runs the built <c>giant</c> CLI on N ranks with <c>mpirun</c> (as root: --allow-run-as-root; 2 cores: --oversubscribe).</summary>
internal static class MpiRun
{
    /// <summary>The mpirun on PATH, or null.</summary>
    public static string? Launcher { get; } = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
        .Select(d => Path.Combine(d, "mpirun")).FirstOrDefault(File.Exists);

    /// <summary>Starts <c>mpirun -np <paramref name="ranks"/> dotnet giant.dll ARGS</c> in <paramref name="workingDir"/>.</summary>
    public static Process Start(string workingDir, int ranks, params string[] args)
    {
        var psi = new ProcessStartInfo(Launcher!) { WorkingDirectory = workingDir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--allow-run-as-root", "--oversubscribe", "-np", ranks.ToString(), "dotnet", Path.Combine(AppContext.BaseDirectory, "giant.dll") })
            psi.ArgumentList.Add(a);
        foreach (var a in args) psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    /// <summary>Runs to the end (at most 3 minutes) and captures exit code and output.</summary>
    public static GiantProcess.Result Run(string workingDir, int ranks, params string[] args)
    {
        using var p = Start(workingDir, ranks, args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(180_000)) { p.Kill(entireProcessTree: true); throw new TimeoutException($"mpirun -np {ranks} giant {string.Join(' ', args)} did not finish"); }
        return new GiantProcess.Result(p.ExitCode, stdout.Result, stderr.Result);
    }
}
