using static TorchSharp.torch;

namespace GiantSharp.Tests.Offload;

/// <summary>
/// The offload tests compare runs that must draw the same numbers from libtorch's global generator (model
/// initialisation, dropout masks replayed in the recompute); tests on other threads would draw in between.
/// This collection runs alone, after the parallel ones, with one intra-op thread (see <see cref="OneThread"/>).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class OffloadCollection : ICollectionFixture<OffloadCollection.OneThread>
{
    public const string Name = "offload (global RNG)";

    /// <summary>
    /// Sets libtorch to one intra-op thread while the collection runs, and restores the count after. The tiny
    /// models gain nothing from a second thread, and on a busy 2-core machine OpenMP's spinning workers (one team
    /// for the compute thread, one for the transfer thread) slowed these tests some thirty-fold.
    /// </summary>
    public sealed class OneThread : IDisposable
    {
        private readonly int _before = get_num_threads();

        public OneThread() => set_num_threads(1);

        public void Dispose() => set_num_threads(_before);
    }
}
