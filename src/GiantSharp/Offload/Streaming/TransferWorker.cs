using System.Collections.Concurrent;
using System.Diagnostics;
using static TorchSharp.torch;

namespace GiantSharp.Offload.Streaming;

/// <summary>
/// One background thread that runs transfers (fetch a layer, write its gradients, read-ahead hints) in the order
/// they were queued, so compute on the calling thread overlaps them (ZeRO-Infinity's overlap-centric design,
/// Rajbhandari et al. 2021, sec. 6.2). Each transfer runs in its own dispose scope, without autograd.
/// A failed transfer faults its task; later transfers still run.
/// </summary>
internal sealed class TransferWorker : IDisposable
{
    private readonly BlockingCollection<(Action Work, TaskCompletionSource Done)> _queue = new();
    private readonly Thread _thread;
    private long _busyTicks;

    public TransferWorker(string name)
    {
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>Seconds the worker has spent transferring since the last <see cref="ResetBusy"/>.</summary>
    public double BusySeconds => Interlocked.Read(ref _busyTicks) / (double)Stopwatch.Frequency;

    /// <summary>Zeroes <see cref="BusySeconds"/>.</summary>
    public void ResetBusy() => Interlocked.Exchange(ref _busyTicks, 0);

    /// <summary>Queues <paramref name="work"/>; the task completes (or faults) when it has run.</summary>
    public Task Enqueue(Action work)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _queue.Add((work, done));
        return done.Task;
    }

    private void Run()
    {
        foreach (var (work, done) in _queue.GetConsumingEnumerable())
        {
            long start = Stopwatch.GetTimestamp();
            try
            {
                using (var scope = NewDisposeScope())
                using (var _ = no_grad())
                    work();
                done.SetResult();
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
            finally
            {
                Interlocked.Add(ref _busyTicks, Stopwatch.GetTimestamp() - start);
            }
        }
    }

    /// <summary>Runs what is queued, then stops the thread.</summary>
    public void Dispose()
    {
        _queue.CompleteAdding();
        _thread.Join();
        _queue.Dispose();
    }
}
