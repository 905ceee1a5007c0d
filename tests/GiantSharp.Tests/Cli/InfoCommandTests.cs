using GiantSharp.Config;
using GiantSharp.Model;

namespace GiantSharp.Tests.Cli;

public class InfoCommandTests
{
    [Fact]
    public void Info_reports_pseudo_and_real_sizes_of_the_m6_10t_shape()
    {
        var root = GiantSharp.Tests.Config.ConfigLoaderTests.RepoRoot();
        var r = GiantProcess.Run(root, "info", "configs/m6-10t.json");
        Assert.Equal(0, r.ExitCode);
        var run = ConfigLoader.Load(Path.Combine(root, "configs", "m6-10t.json"));
        var real = ModelSize.Of(run.Model, run.Model.NLayer);
        Assert.InRange(real.TotalParameters, 9.9e12, 10.2e12);
        Assert.Contains($"{real.TotalParameters / 1e12:F2} T", r.StdOut);
        Assert.Contains("parameters stored", r.StdOut);
        var free = System.Text.RegularExpressions.Regex.Match(r.StdOut.ReplaceLineEndings(" "), @"([0-9.]+) ([KMGT]i)?B free disk at");
        Assert.True(free.Success, r.StdOut);                                 // was "0.0 KiB free disk" whenever the run had no disk tier
        Assert.NotEqual("0.0", free.Groups[1].Value);
    }
}
