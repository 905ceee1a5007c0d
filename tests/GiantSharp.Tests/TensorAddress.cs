using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace GiantSharp.Tests;

/// <summary>The address of a CPU tensor's data, to tell shared storage from copies.</summary>
internal static class TensorAddress
{
    public static unsafe long Of(Tensor t) => (long)Unsafe.AsPointer(ref MemoryMarshal.GetReference(t.bytes));
}
