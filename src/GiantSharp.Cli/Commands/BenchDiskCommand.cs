using System.CommandLine;
using System.Globalization;
using GiantSharp.Bench;
using GiantSharp.Offload;
using GiantSharp.Offload.Bench;
using Spectre.Console;

namespace GiantSharp.Cli.Commands;

/// <summary>
/// <c>giant bench disk</c>: the disk tier's write and read bandwidth as a ratio to <c>dd</c> with direct I/O on the same
/// folder, in the same run (issue 8: >= 0.8), for the tier's two request sizes: whole layers and 4 MiB optimizer pieces.
/// </summary>
internal static class BenchDiskCommand
{
    public const string SectionTitle = "Disk tier bandwidth against dd (giant bench disk)";

    public static Command Create()
    {
        var dir = new Option<string>("--dir") { Description = "folder on the drive to measure (the disk tier's offload.dir)", DefaultValueFactory = _ => Path.Combine("runs", "offload-store") };
        var size = new Option<string>("--size") { Description = "bytes written and read per measurement", DefaultValueFactory = _ => "2GiB" };
        var requests = new Option<string>("--requests") { Description = "request sizes, comma-separated (a layer's group, an optimizer piece)", DefaultValueFactory = _ => "64MiB,4MiB" };
        var rounds = new Option<int>("--rounds") { Description = "rounds of dd then the tier, per request size", DefaultValueFactory = _ => 3 };
        var output = BenchCommand.OutOption();
        var command = new Command("disk", "Disk tier read/write bandwidth (direct I/O) as a ratio to dd with iflag/oflag=direct on the same folder.") { dir, size, requests, rounds, output };
        command.SetAction((ParseResult r) =>
        {
            CommonOptions.AtLeast(r, rounds, 1);
            long bytes = ByteSize.Parse(r.GetValue(size), "--size");
            var sizes = r.GetValue(requests)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(s => ByteSize.Parse(s, "--requests")).ToList();
            foreach (var q in sizes)
                if (q % 4096 != 0 || bytes % q != 0)
                    throw new Errors.ConfigException("--requests", $"each size must be a multiple of 4096 bytes dividing --size ({ByteSize.Format(bytes)}), got {ByteSize.Format(q)}");
            var inv = CultureInfo.InvariantCulture;
            var rows = new List<string>();
            var targets = new List<BenchTarget>();
            var created = NewFolders(r.GetValue(dir)!);
            foreach (var q in sizes)
            {
                AnsiConsole.MarkupLine($"requests of {Markup.Escape(ByteSize.Format(q))}:");
                IReadOnlyList<DiskBenchmark.Round> results;
                try { results = DiskBenchmark.Run(r.GetValue(dir)!, bytes, q, r.GetValue(rounds), line => AnsiConsole.WriteLine("  " + line)); }
                finally { RemoveIfEmpty(created); }                          // trying the bench leaves no folder behind
                foreach (var (x, i) in results.Select((x, i) => (x, i)))
                    rows.Add($"| {ByteSize.Format(q)} | {i + 1} | {(x.DdWrite / 1e9).ToString("F2", inv)} | {(x.TierWrite / 1e9).ToString("F2", inv)} | {x.WriteRatio.ToString("F2", inv)} | " +
                             $"{(x.DdRead / 1e9).ToString("F2", inv)} | {(x.TierRead / 1e9).ToString("F2", inv)} | {x.ReadRatio.ToString("F2", inv)} |");
                var (write, read) = DiskBenchmark.MedianRatios(results);
                targets.Add(BenchTarget.Min($"{ByteSize.Format(q)} requests: tier/dd write bandwidth (median)", write, DiskBenchmark.TargetRatio));
                targets.Add(BenchTarget.Min($"{ByteSize.Format(q)} requests: tier/dd read bandwidth (median)", read, DiskBenchmark.TargetRatio));
            }
            var body = string.Join("\n", [
                $"Measured {DateTime.UtcNow:yyyy-MM-dd} on {MachineInfo.Current()}, folder `{r.GetValue(dir)}`: {ByteSize.Format(bytes)} per measurement, " +
                "dd (`bs=REQUEST`, `oflag=direct`, then `iflag=direct`) and the tier (TensorStore disk group, O_DIRECT pwrite/pread of REQUEST-sized aligned ranges) alternating, a round each.",
                "",
                $"    {BenchCommand.CommandLine(r)}",
                "",
                "| request | round | dd write GB/s | tier write GB/s | write ratio | dd read GB/s | tier read GB/s | read ratio |",
                "|---|---:|---:|---:|---:|---:|---:|---:|",
                .. rows,
                "",
                BenchTarget.Markdown(targets),
            ]);
            BenchCommand.Report(targets, r.GetValue(output), SectionTitle, body + "\n");
            return 0;
        });
        return command;
    }

    /// <summary>The folders of <paramref name="dir"/>'s path that do not exist yet, deepest first.</summary>
    private static List<string> NewFolders(string dir)
    {
        var missing = new List<string>();
        for (var d = Path.GetFullPath(dir); d is not null && !Directory.Exists(d); d = Path.GetDirectoryName(d)) missing.Add(d);
        return missing;
    }

    private static void RemoveIfEmpty(IEnumerable<string> folders)
    {
        foreach (var d in folders)
            if (Directory.Exists(d) && !Directory.EnumerateFileSystemEntries(d).Any()) Directory.Delete(d);
    }
}
