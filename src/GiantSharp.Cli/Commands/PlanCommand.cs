using System.CommandLine;
using System.Globalization;
using GiantSharp.Config;
using GiantSharp.Offload;
using GiantSharp.Parallel.Planning;
using GiantSharp.Sharing;
using Spectre.Console;

namespace GiantSharp.Cli.Commands;

/// <summary>
/// <c>giant plan CONFIG --ranks N ...</c>: the placement per rank, the memory per tier and an estimated step time of the
/// config's Pseudo Giant (first stage) and Real Giant (its last unshared stage, else the first stage unshared) on a
/// cluster (<see cref="ClusterPlanner"/>). Defaults are the paper's 512 V100s (<see cref="ClusterSpec"/>).
/// </summary>
internal static class PlanCommand
{
    public static Command Create()
    {
        var defaults = new ClusterSpec();
        var config = new Argument<string>("config") { Description = "Run config (JSON) or preset name." };
        var set = CommonOptions.Set();
        var vocab = new Option<int?>("--vocab-size") { Description = "Vocabulary size to count when the config says 0 and no prepared corpus is there." };
        var ranks = new Option<int>("--ranks") { Description = "Ranks (one device each).", DefaultValueFactory = _ => defaults.Ranks };
        var deviceMemory = Size("--device-memory", "Device memory per rank.", "32GiB");
        var hostMemory = Size("--host-memory", "Host memory per rank.", "96GiB");
        var disk = Size("--disk", "Disk (NVMe) per rank.", "1TB");
        var tflops = new Option<double>("--device-tflops") { Description = "Peak TFLOP/s of one device in the training precision.", DefaultValueFactory = _ => defaults.DeviceFlops / 1e12 };
        var mfu = new Option<double>("--mfu") { Description = "Model FLOPs utilisation a step achieves, in (0, 1].", DefaultValueFactory = _ => defaults.Mfu };
        var hostBandwidth = Size("--host-bandwidth", "Device-host bandwidth per rank, per second.", "12GB");
        var diskBandwidth = Size("--disk-bandwidth", "Disk bandwidth per rank, per second.", "2GB");
        var network = Size("--network", "Network bandwidth per rank for collectives, per second (100 Gbit/s = 12.5GB).", "12.5GB");
        var zero = new Option<int>("--zero-stage") { Description = "ZeRO stage: 0, 1 (moments sharded) or 2 (gradients too).", DefaultValueFactory = _ => 0 };
        var expertParallel = new Option<bool>("--expert-parallel") { Description = "Partition every MoE layer's experts over the ranks." };
        var command = new Command("plan", "Placement per rank, memory per tier and estimated step time of the Pseudo and the Real Giant on a cluster (default: the paper's 512 V100s).")
            { config, set, vocab, ranks, deviceMemory, hostMemory, disk, tflops, mfu, hostBandwidth, diskBandwidth, network, zero, expertParallel };
        command.SetAction((ParseResult r) =>
        {
            var run = ConfigLoader.Load(ConfigLoader.Resolve(r.GetValue(config)!), CommonOptions.Overrides(r, set, null));
            var model = run.Model with { VocabSize = InfoCommand.ResolveVocab(run, r.GetValue(vocab)) };
            var cluster = new ClusterSpec
            {
                Ranks = r.GetValue(ranks),
                DeviceMemory = ByteSize.Parse(r.GetValue(deviceMemory), "--device-memory"),
                HostMemory = ByteSize.Parse(r.GetValue(hostMemory), "--host-memory"),
                Disk = ByteSize.Parse(r.GetValue(disk), "--disk"),
                DeviceFlops = r.GetValue(tflops) * 1e12,
                Mfu = r.GetValue(mfu),
                HostBandwidth = ByteSize.Parse(r.GetValue(hostBandwidth), "--host-bandwidth"),
                DiskBandwidth = ByteSize.Parse(r.GetValue(diskBandwidth), "--disk-bandwidth"),
                NetworkBandwidth = ByteSize.Parse(r.GetValue(network), "--network"),
                ZeroStage = r.GetValue(zero),
                ExpertParallel = r.GetValue(expertParallel),
            };
            var pseudoStage = run.Stages[0];
            var realStage = run.Stages.LastOrDefault(s => s.Sharing.UniqueBlocks(model.NLayer) == model.NLayer) ?? pseudoStage with { Name = "real", Sharing = SharingPlan.None };
            Print(run.Name, cluster, ClusterPlanner.Plan(model, pseudoStage, cluster), ClusterPlanner.Plan(model, realStage, cluster));
            return 0;
        });
        return command;
    }

    private static Option<string> Size(string name, string description, string fallback) =>
        new(name) { Description = description + " A size such as 32GiB or 12.5GB.", DefaultValueFactory = _ => fallback };

    private static void Print(string name, ClusterSpec c, RankPlan pseudo, RankPlan real)
    {
        var title = $"{name} on {c.Ranks} ranks: {Units.Bytes(c.DeviceMemory)} device, {Units.Bytes(c.HostMemory)} host, {Units.Bytes(c.Disk)} disk per rank; " +
                    $"{c.DeviceFlops / 1e12:0.#} TFLOP/s at MFU {c.Mfu:0.##}; link {Rate(c.HostBandwidth)}, disk {Rate(c.DiskBandwidth)}, network {Rate(c.NetworkBandwidth)}; " +
                    $"ZeRO {c.ZeroStage}{(c.ExpertParallel ? ", expert parallel" : "")}";
        var table = new Table().Title(Markup.Escape(title)).AddColumn("per rank, per optimizer step")
            .AddColumn(new TableColumn($"pseudo ({Markup.Escape(pseudo.Stage)}, {pseudo.UniqueBlocks} block{(pseudo.UniqueBlocks == 1 ? "" : "s")})").RightAligned())
            .AddColumn(new TableColumn($"real ({Markup.Escape(real.Stage)}, {real.UniqueBlocks} blocks)").RightAligned());
        void Row(string label, Func<RankPlan, string> value) => table.AddRow(Markup.Escape(label), Markup.Escape(value(pseudo)), Markup.Escape(value(real)));
        Row("parameters held", p => InfoCommand.Count(p.Parameters));
        Row("weights / gradients / moments", p => $"{Units.Bytes(p.Weights)} / {Units.Bytes(p.Gradients)} / {Units.Bytes(p.Moments)}");
        Row("activations (one micro-batch)", p => Units.Bytes(p.Activations));
        Row("placement", p => !p.Streams ? "resident on the device" : p.Host + p.Disk == 0 ? "state resident, layers recomputed" : "streamed layer by layer");
        Row("device / host / disk", p => $"{Units.Bytes(p.Device)} / {Units.Bytes(p.Host)} / {Units.Bytes(p.Disk)}");
        Row("fits", p => p.Fits ? "yes" : "no");
        Row("compute", p => Seconds(p.ComputeSeconds));
        Row("device-host link / disk", p => $"{Seconds(p.HostSeconds)} / {Seconds(p.DiskSeconds)}");
        Row("sent: gradients / expert all-to-all", p => $"{Units.Bytes(p.GradientBytes)} / {Units.Bytes(p.ExpertBytes)}");
        Row("communication", p => Seconds(p.CommSeconds));
        Row("step (estimate)", p => Seconds(p.StepSeconds));
        Row("cluster tokens/s", p => p.TokensPerSecond.ToString("N0", CultureInfo.InvariantCulture));
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine(Markup.Escape($"Real Giant step / Pseudo Giant step: {real.StepSeconds / pseudo.StepSeconds:0.00}x. " +
            "An estimate from the shapes and the bandwidths above (transfers overlap compute, collectives do not; docs/scaling.md), not a measurement." +
            (c.ExpertParallel ? " Experts planned partitioned over the ranks, as in the paper; GiantSharp's engine partitions their compute but still replicates their weights." : "")));
        if (!pseudo.Fits || !real.Fits)
            AnsiConsole.MarkupLine(Markup.Escape($"does not fit: {string.Join(", ", new[] { pseudo, real }.Where(p => !p.Fits).Select(p => p.Stage))} (raise --ranks, --disk or --device-memory, or use --zero-stage / --expert-parallel)"));
    }

    private static string Rate(double bytesPerSecond) => $"{bytesPerSecond / 1e9:0.##} GB/s";

    private static string Seconds(double s) => s switch
    {
        >= 3600 => $"{s / 3600:0.0} h",
        >= 60 => $"{s / 60:0.0} min",
        >= 1 => $"{s:0.00} s",
        _ => $"{s * 1000:0.0} ms",
    };
}
