namespace GiantSharp.Bench;

/// <summary>What a benchmark ran on: logical cores, the CPU model, and the threads libtorch used.</summary>
/// <param name="Cores">Logical processors the process may use (<see cref="Environment.ProcessorCount"/>).</param>
/// <param name="CpuModel">The first <c>model name</c> of /proc/cpuinfo, or "unknown" off Linux.</param>
/// <param name="Threads">Intra-op threads libtorch was set to (torch.set_num_threads).</param>
public sealed record MachineInfo(int Cores, string CpuModel, int Threads)
{
    /// <summary>This machine, with libtorch's current intra-op thread count.</summary>
    public static MachineInfo Current() =>
        new(Environment.ProcessorCount, ReadCpuModel(), TorchSharp.torch.get_num_threads());

    private static string ReadCpuModel()
    {
        const string cpuinfo = "/proc/cpuinfo";
        if (!File.Exists(cpuinfo)) return "unknown";
        var line = File.ReadLines(cpuinfo).FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
        return line?.Split(':', 2) is [_, var name] ? name.Trim() : "unknown";
    }

    /// <inheritdoc />
    public override string ToString() => $"{CpuModel}, {Cores} logical cores, {Threads} libtorch threads";
}
