using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using GiantSharp.Errors;
using GiantSharp.Offload.Storage;
using static TorchSharp.torch;

namespace GiantSharp.Offload.Bench;

/// <summary>
/// The disk tier's bandwidth against the drive's, measured in one run on one folder: <c>dd</c> with
/// <c>oflag=direct</c> / <c>iflag=direct</c> (the page cache bypassed, as the tier does), then the tier writing and
/// reading a group of the same size through <see cref="TensorStore"/> in requests of the given size (whole layers, or
/// the optimizer's 4 MiB pieces), alternating, several rounds. Issue 8's target: tier / dd >= 0.8 both ways.
/// </summary>
public static partial class DiskBenchmark
{
    /// <summary>One round's bandwidths, in bytes per second.</summary>
    /// <param name="DdWrite">dd, oflag=direct.</param>
    /// <param name="DdRead">dd, iflag=direct.</param>
    /// <param name="TierWrite">The tier's writes.</param>
    /// <param name="TierRead">The tier's reads.</param>
    public sealed record Round(double DdWrite, double DdRead, double TierWrite, double TierRead)
    {
        /// <summary>Tier write bandwidth over dd's.</summary>
        public double WriteRatio => TierWrite / DdWrite;
        /// <summary>Tier read bandwidth over dd's.</summary>
        public double ReadRatio => TierRead / DdRead;
    }

    /// <summary>Issue 8's target for tier / dd bandwidth, both ways.</summary>
    public const double TargetRatio = 0.8;

    /// <summary>
    /// Tier / dd bandwidth over <paramref name="rounds"/>, write and read: the ratio of the median times per round (the same
    /// bytes each round; <see cref="GiantSharp.Bench.StepTiming"/>), i.e. dd's median time over the tier's.
    /// </summary>
    public static (double Write, double Read) MedianRatios(IReadOnlyList<Round> rounds)
    {
        double Median(Func<Round, double> bandwidth) => GiantSharp.Bench.StepTiming.Of(rounds.Select(x => 1 / bandwidth(x)).ToList()).Median;
        return (Median(x => x.DdWrite) / Median(x => x.TierWrite), Median(x => x.DdRead) / Median(x => x.TierRead));
    }

    /// <summary>
    /// Runs <paramref name="rounds"/> rounds of dd and the tier on <paramref name="bytes"/> bytes in <paramref name="dir"/>,
    /// dd with blocks of <paramref name="requestBytes"/> and the tier with requests of that size.
    /// </summary>
    /// <exception cref="DataException">The folder cannot be written, dd is missing, or it failed.</exception>
    public static IReadOnlyList<Round> Run(string dir, long bytes, long requestBytes, int rounds, Action<string>? log = null)
    {
        if (requestBytes % DirectFile.Alignment != 0 || bytes % requestBytes != 0)
            throw new ArgumentException($"the size ({bytes} B) must be a multiple of the request ({requestBytes} B), itself a multiple of {DirectFile.Alignment} B");
        StoreFiles.EnsureWritableDirectory(dir);
        var ddFile = Path.Combine(dir, "giant-bench-dd.bin");
        var results = new List<Round>();
        try
        {
            using var store = new TensorStore(CPU, dir);
            long numel = bytes / 4, request = requestBytes / 4;
            store.Allocate("bench", Tier.Disk, new TensorLayout([("x", [numel])]));
            if (store.DirectIo != true) log?.Invoke($"warning: {dir} refuses direct I/O; the tier falls back to buffered I/O there");
            using var buffer = AlignedBuffer.Empty(request, CPU);
            buffer.uniform_(-1, 1);
            for (int r = 0; r < rounds; r++)
            {
                var ddWrite = Dd(["if=/dev/zero", $"of={ddFile}", $"bs={requestBytes}", $"count={bytes / requestBytes}", "oflag=direct"]);
                var ddRead = Dd([$"if={ddFile}", "of=/dev/null", $"bs={requestBytes}", "iflag=direct"]);
                var clock = Stopwatch.StartNew();
                for (long start = 0; start < numel; start += request) store.WriteRange("bench", start, buffer);
                double write = bytes / clock.Elapsed.TotalSeconds;
                clock.Restart();
                for (long start = 0; start < numel; start += request) store.ReadRange("bench", start, buffer);
                double read = bytes / clock.Elapsed.TotalSeconds;
                results.Add(new Round(ddWrite, ddRead, write, read));
                log?.Invoke($"round {r + 1}: dd write {ddWrite / 1e9:F2} GB/s, read {ddRead / 1e9:F2} GB/s; tier write {write / 1e9:F2} GB/s, read {read / 1e9:F2} GB/s");
            }
        }
        finally
        {
            StoreFiles.TryDelete(ddFile);
        }
        return results;
    }

    /// <summary>Runs dd with <paramref name="args"/> and returns the bandwidth it reports (bytes copied / seconds).</summary>
    private static double Dd(string[] args)
    {
        var psi = new ProcessStartInfo("dd") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        Process p;
        try { p = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception e) { throw new DataException("dd", $"cannot run dd (coreutils) to measure the drive: {e.Message}"); }
        using (p)
        {
            var err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            var m = DdSummary().Match(err);
            if (p.ExitCode != 0 || !m.Success) throw new DataException("dd", $"dd {string.Join(' ', args)} failed: {err.Trim().Split('\n')[0]}");
            return double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) / double.Parse(m.Groups[2].Value.Replace(',', '.'), CultureInfo.InvariantCulture);
        }
    }

    [GeneratedRegex(@"^(\d+) bytes .*copied, ([0-9.,]+(?:e[-+]?\d+)?) s", RegexOptions.Multiline)]
    private static partial Regex DdSummary();
}
