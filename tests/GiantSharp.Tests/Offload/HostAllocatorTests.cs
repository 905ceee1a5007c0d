using GiantSharp.Offload;
using static TorchSharp.torch;

namespace GiantSharp.Tests.Offload;

/// <summary>
/// The malloc policy per kind of stage, observed through the process's minor page faults: a resident stage keeps freed
/// blocks in the heap, so a step's second tensor of the same size does not fault its pages in again; a streamed stage
/// under a budget maps every large block afresh, so it does. Faults are counted per thread; the policy is process-wide,
/// hence the non-parallel collection. Blocks here are small enough for a worker thread's arena (2 MiB), where glibc's own
/// dynamic threshold also ends up reusing them: what sets the resident policy apart from glibc's default, blocks above
/// 32 MiB such as the (B*T, V) logits staying in the main thread's heap, is measured by `giant bench train`
/// (docs/benchmarks.md: page faults 3.2-3.3 M by default against 1.4 M).
/// </summary>
[Collection(GlobalRngCollection.Name)]
public sealed class HostAllocatorTests
{
    // Six blocks of 2 MiB of fp32 (above the streaming threshold of 1 MiB), 3,072 pages of 4 KiB in all. Small enough
    // for the first 64 MiB heap of a fresh thread's arena: the test runs on its own thread, as a worker thread's arena
    // unmaps any further heap as soon as it is empty, whatever the policy (giant's steps run on the main thread,
    // whose heap is the brk heap).
    private const long Elements = 1L << 19;
    private const int Blocks = 6;
    private const long Pages = Blocks * Elements * 4 / 4096;

    [Fact]
    public void Resident_policy_reuses_freed_blocks_and_streaming_policy_returns_them()
    {
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            Assert.True(HostAllocator.ForResident());
            // The fewest of three tries: a thread may be handed an arena that other threads' stray frees (finalizers) touch.
            var resident = Enumerable.Range(0, 3).Min(_ => OnOwnThread(FaultsInSteadyState));
            Assert.True(HostAllocator.ForStreaming());
            var streaming = Enumerable.Range(0, 3).Min(_ => OnOwnThread(FaultsInSteadyState));

            // A resident step's blocks come back from the heap: at most an eighth of the pages fault again (0 alone, 256 of 3,072
            // seen in the full suite, where a thread's arena is shared; glibc's default policy: 1,024 or more).
            Assert.True(resident < Pages / 8, $"resident: {resident} faults for {Pages} pages reused from the heap");
            // Transparent huge pages (when 'always') fault 2 MiB at a time: a few faults per block, still far above 0.
            Assert.True(streaming >= Pages / 512 && streaming > 4 * (resident + 1), $"streaming: {streaming} faults, resident {resident}");
        }
        finally { HostAllocator.ForUnbudgetedStreaming(); }
    }

    private static long OnOwnThread(Func<long> measure)
    {
        long result = 0;
        var thread = new Thread(() => result = measure());
        thread.Start();
        thread.Join();
        return result;
    }

    /// <summary>Allocates, touches and frees the blocks a few times (as steps do), then counts the minor faults of doing it once more.</summary>
    private static long FaultsInSteadyState()
    {
        for (int i = 0; i < 3; i++) Touch();
        var before = MinorFaults();
        Touch();
        return MinorFaults() - before;
    }

    private static void Touch()
    {
        var blocks = Enumerable.Range(0, Blocks).Select(_ => empty(Elements, dtype: ScalarType.Float32)).ToList();
        foreach (var t in blocks) { t.fill_(1f); t.Dispose(); }
    }

    /// <summary>This thread's minflt, the 10th field of /proc/self/task/TID/stat (after the command name in parentheses).</summary>
    private static long MinorFaults()
    {
        var stat = File.ReadAllText($"/proc/self/task/{gettid()}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[7]);
    }

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern int gettid();
}
