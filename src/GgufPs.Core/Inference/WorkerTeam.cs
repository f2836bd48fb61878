using System.Runtime.CompilerServices;

namespace GgufPs.Inference;

/// <summary>
/// A context's own threads for the many small parallel loops of decoding (about ten matrix products a layer for
/// every token, each a few microseconds of work at batch 1). The calling thread is worker 0; the others wait for
/// work spinning for a while, then sleep, as ggml's thread pool does, so a hand-off costs a cache line rather than
/// a thread-pool dispatch. Items are claimed one at a time, so a worker the machine descheduled holds back at most
/// the item it took.
/// </summary>
internal sealed class WorkerTeam : IDisposable
{
    /// <summary>How long a worker spins for the next loop before it sleeps.</summary>
    private static readonly long SpinTicks = System.Diagnostics.Stopwatch.Frequency / 5000;

    private readonly Thread[] _helpers;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Action<int, int>?[] _bodies = new Action<int, int>?[2];
    private readonly int[] _counts = new int[2];

    // The generation in the high half, the next unclaimed item in the low half: a claim succeeds only for the
    // loop it read the body of.
    private long _ticket;
    private int _finished;
    private int _sleeping;
    private Exception? _error;
    private volatile bool _disposed;

    public WorkerTeam(int size)
    {
        Size = Math.Max(1, size);
        _helpers = new Thread[Size - 1];
        for (int i = 0; i < _helpers.Length; i++)
        {
            int worker = i + 1;
            _helpers[i] = new Thread(() => HelperLoop(worker)) { IsBackground = true, Name = $"GgufPs decode {worker}" };
            _helpers[i].Start();
        }
    }

    /// <summary>The number of workers, the calling thread included.</summary>
    public int Size { get; }

    /// <summary>
    /// Runs body(item, worker) for every item in [0, count) across the team and returns when all are done; worker is
    /// in [0, Size), and no two items run on the same worker at once. The first exception a body throws is rethrown.
    /// </summary>
    public void Run(int count, Action<int, int> body)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (count <= 0)
        {
            return;
        }
        if (Size == 1 || count == 1)
        {
            for (int i = 0; i < count; i++)
            {
                body(i, 0);
            }
            return;
        }
        long generation = (Volatile.Read(ref _ticket) >> 32) + 1;
        int slot = (int)(generation & 1);
        _bodies[slot] = body;
        _counts[slot] = count;
        _error = null;
        Volatile.Write(ref _finished, 0);
        // A full fence between publishing the loop and reading _sleeping: a helper going to sleep does the reverse.
        Interlocked.Exchange(ref _ticket, generation << 32);
        int sleeping = Volatile.Read(ref _sleeping);
        if (sleeping > 0)
        {
            _wake.Release(sleeping);
        }
        Work(generation, 0);
        var spin = new SpinWait();
        while (Volatile.Read(ref _finished) < count)
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }
        _bodies[slot] = null;
        if (_error is { } error)
        {
            _error = null;
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(error).Throw();
        }
    }

    /// <summary>Claims and runs items of <paramref name="generation"/> until none are left.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Work(long generation, int worker)
    {
        int slot = (int)(generation & 1);
        var body = _bodies[slot];
        int count = _counts[slot];
        while (true)
        {
            long ticket = Volatile.Read(ref _ticket);
            if (ticket >> 32 != generation || body is null)
            {
                return;
            }
            int item = (int)ticket;
            if (item >= count)
            {
                return;
            }
            if (Interlocked.CompareExchange(ref _ticket, ticket + 1, ticket) != ticket)
            {
                continue;
            }
            try
            {
                body(item, worker);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _error, e, null);
            }
            Interlocked.Increment(ref _finished);
        }
    }

    private void HelperLoop(int worker)
    {
        long seen = 0;
        while (!_disposed)
        {
            long generation = Volatile.Read(ref _ticket) >> 32;
            if (generation != seen)
            {
                seen = generation;
                Work(generation, worker);
                continue;
            }
            if (!SpinForWork(seen))
            {
                Interlocked.Increment(ref _sleeping);
                if (Volatile.Read(ref _ticket) >> 32 == seen && !_disposed)
                {
                    _wake.Wait();
                }
                Interlocked.Decrement(ref _sleeping);
            }
        }
    }

    /// <summary>Spins until a loop after <paramref name="seen"/> starts or the spin time is up.</summary>
    private bool SpinForWork(long seen)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        int spins = 0;
        while (Volatile.Read(ref _ticket) >> 32 == seen && !_disposed)
        {
            Thread.SpinWait(20);
            if ((++spins & 63) == 0 && System.Diagnostics.Stopwatch.GetTimestamp() - start > SpinTicks)
            {
                return false;
            }
        }
        return true;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        if (_helpers.Length > 0)
        {
            _wake.Release(_helpers.Length);
        }
        foreach (var helper in _helpers)
        {
            helper.Join();
        }
        _wake.Dispose();
    }
}
