using System.Diagnostics;

namespace GiantSharp.Bench;

/// <summary>
/// A snapshot of CPU time, to tell how much of the machine other processes took while a benchmark ran
/// (on a shared machine a figure taken under load is not the machine's). Reads /proc/stat for the whole
/// machine and this process's own CPU time; off Linux the share is NaN.
/// </summary>
/// <param name="Wall">Wall-clock time of the snapshot.</param>
/// <param name="MachineBusy">CPU time of all processes since boot (user, nice, system, irq, softirq, steal), or null off Linux.</param>
/// <param name="Process">This process's CPU time (user + system).</param>
public readonly record struct CpuUsage(TimeSpan Wall, TimeSpan? MachineBusy, TimeSpan Process)
{
    private static readonly Stopwatch Clock = Stopwatch.StartNew();

    /// <summary>The current snapshot.</summary>
    public static CpuUsage Now()
    {
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        return new(Clock.Elapsed, ReadMachineBusy(), self.TotalProcessorTime);
    }

    /// <summary>
    /// The share of all cores' time between <paramref name="start"/> and this snapshot that other processes
    /// used, in [0, 1]: (machine busy - this process) / (wall * cores). NaN off Linux.
    /// </summary>
    public double OthersShareSince(CpuUsage start, int cores)
    {
        if (MachineBusy is not { } end || start.MachineBusy is not { } begin) return double.NaN;
        var wall = (Wall - start.Wall).TotalSeconds * cores;
        if (wall <= 0) return double.NaN;
        var others = (end - begin - (Process - start.Process)).TotalSeconds;
        return Math.Clamp(others / wall, 0, 1);
    }

    private static TimeSpan? ReadMachineBusy()
    {
        const string stat = "/proc/stat";
        if (!File.Exists(stat)) return null;
        // "cpu  user nice system idle iowait irq softirq steal guest guest_nice", in clock ticks (USER_HZ = 100 on Linux).
        var fields = File.ReadLines(stat).First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        long Ticks(int i) => fields.Length > i ? long.Parse(fields[i], System.Globalization.CultureInfo.InvariantCulture) : 0;
        long busy = Ticks(1) + Ticks(2) + Ticks(3) + Ticks(6) + Ticks(7) + Ticks(8);
        return TimeSpan.FromSeconds(busy / 100.0);
    }
}
