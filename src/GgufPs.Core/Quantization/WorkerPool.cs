using System.Runtime.ExceptionServices;

namespace GgufPs.Quantization;

/// <summary>
/// A fixed set of dedicated threads that run the items of a loop together with the calling thread, like
/// Parallel.For but independent of the shared thread pool, so a busy pool (or one blocked writer task) cannot leave
/// a quantization running on fewer threads than asked for.
/// </summary>
internal sealed class WorkerPool : IDisposable
{
    private readonly Thread[] _threads;
    private readonly SemaphoreSlim _start = new(0);
    private readonly CountdownEvent _finished = new(1);
    private Action<int>? _body;
    private int _count;
    private int _next;
    private Exception? _error;
    private volatile bool _disposed;

    /// <param name="threads">Total threads including the caller's.</param>
    public WorkerPool(int threads)
    {
        _threads = new Thread[Math.Max(0, threads - 1)];
        for (int i = 0; i < _threads.Length; i++)
        {
            _threads[i] = new Thread(Loop) { IsBackground = true, Name = $"GgufPs quantize {i + 1}" };
            _threads[i].Start();
        }
    }

    /// <summary>Runs <paramref name="body"/> for 0..count-1 on every thread; the first exception stops the rest and is rethrown.</summary>
    public void Run(int count, Action<int> body)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _body = body;
        _count = count;
        _next = 0;
        _error = null;
        _finished.Reset(_threads.Length);
        ReleaseHelpers();
        Work();
        _finished.Wait();
        _body = null;
        if (_error is { } error)
        {
            ExceptionDispatchInfo.Throw(error);
        }
    }

    // One thread means no helpers (the caller does the work), and SemaphoreSlim refuses a release of zero.
    private void ReleaseHelpers()
    {
        if (_threads.Length > 0)
        {
            _start.Release(_threads.Length);
        }
    }

    private void Loop()
    {
        while (true)
        {
            _start.Wait();
            if (_disposed)
            {
                return;
            }
            Work();
            _finished.Signal();
        }
    }

    private void Work()
    {
        while (Volatile.Read(ref _error) is null)
        {
            int i = Interlocked.Increment(ref _next) - 1;
            if (i >= _count)
            {
                return;
            }
            try
            {
                _body!(i);
            }
            catch (Exception ex)
            {
                Interlocked.CompareExchange(ref _error, ex, null);
            }
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        ReleaseHelpers();
        foreach (var thread in _threads)
        {
            thread.Join();
        }
        _start.Dispose();
        _finished.Dispose();
    }
}
