using System.Runtime.InteropServices;

namespace GiantSharp.Cli;

/// <summary>
/// Turns the first SIGINT (Ctrl+C) or SIGTERM into a graceful stop: the run finishes its step, writes a checkpoint
/// and frees its offload store. A second signal terminates at once, as usual.
/// </summary>
internal sealed class Interruption : IDisposable
{
    /// <summary>Exit code of a run stopped by a signal (128 + SIGINT).</summary>
    public const int ExitCode = 130;
    private readonly CancellationTokenSource _cancel = new();
    private readonly PosixSignalRegistration[] _registrations;
    private volatile bool _disposed;

    public Interruption()
    {
        _registrations = [PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle), PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle)];
    }

    /// <summary>Cancelled by the first signal.</summary>
    public CancellationToken Token => _cancel.Token;
    /// <summary>Whether a signal asked the run to stop.</summary>
    public bool Requested => _cancel.IsCancellationRequested;

    private void Handle(PosixSignalContext context)
    {
        if (_disposed || _cancel.IsCancellationRequested) return;            // after the run (e.g. MPI_Abort's SIGTERM to a failed rank), or a second signal: default handling
        context.Cancel = true;
        Console.Error.WriteLine($"giant: {context.Signal} received: finishing the current step and writing a checkpoint (send it again to stop at once)");
        _cancel.Cancel();
    }

    public void Dispose()
    {
        _disposed = true;
        foreach (var r in _registrations) r.Dispose();
        // _cancel is not disposed: a handler already dispatched may still read it (a token source without timers holds nothing to free).
    }
}
