using System.Collections.Concurrent;
using System.Diagnostics;
using System.Management.Automation;

namespace GgufPs.Commands;

/// <summary>
/// What long work running on a worker thread hands to its cmdlet: progress, warnings, verbose and information
/// messages, output objects and non-terminating errors. Every method may be called from any thread, as often as the
/// work likes; the cmdlet's pipeline thread writes them in the order they came (progress bars a few times a second
/// at most). Calls after the work has ended are ignored. See <see cref="LongRunningCommand"/>.
/// </summary>
public sealed class WorkerChannel
{
    private readonly BlockingCollection<Action<LongRunningCommand>> _messages = new();
    private readonly ConcurrentDictionary<int, WorkerProgress> _progress = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    internal WorkerChannel(CancellationToken cancellation) => Cancellation = cancellation;

    /// <summary>Cancelled when the pipeline stops or, for interruptible work, at Ctrl+C.</summary>
    public CancellationToken Cancellation { get; }

    /// <summary>Time since the work started.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    internal bool IsCompleted => _messages.IsCompleted;

    /// <summary>Shows (or with Completed, removes) the progress bar <see cref="WorkerProgress.Id"/>.</summary>
    public void Progress(WorkerProgress progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        if (!_messages.IsAddingCompleted)
        {
            _progress[progress.Id] = progress;
        }
    }

    /// <summary>An IProgress for a core API, each report turned into a bar by <paramref name="toBar"/> (null: no change).</summary>
    public IProgress<T> ProgressOf<T>(Func<T, WorkerProgress?> toBar)
    {
        ArgumentNullException.ThrowIfNull(toBar);
        return new MappedProgress<T>(this, toBar);
    }

    public void Warning(string message) => Post(c => c.WriteWarning(message));

    public void Verbose(string message) => Post(c => c.WriteVerbose(message));

    /// <summary>Write-Information: shown only when $InformationPreference (or -InformationAction) asks for it.</summary>
    public void Information(object messageData, params string[] tags) => Post(c => c.WriteInformation(messageData, tags));

    /// <summary>
    /// Text for the console as Write-Host -NoNewline writes it: to the information stream tagged PSHOST, so it is shown
    /// as it comes and can still be captured with -InformationVariable or 6>.
    /// </summary>
    public void HostText(string text, bool newLine = false) =>
        Information(new HostInformationMessage { Message = text, NoNewLine = !newLine }, "PSHOST");

    /// <summary>An object for the pipeline, for cmdlets that stream their results.</summary>
    public void Output(object? value) => Post(c => c.WriteObject(value));

    /// <summary>A non-terminating error, mapped through the <see cref="ErrorCatalog"/>; the work goes on.</summary>
    public void Error(Exception exception, object? target) => Post(c => c.WriteCoreError(exception, target));

    internal void Complete() => _messages.CompleteAdding();

    internal bool TryTake(out Action<LongRunningCommand>? message, int millisecondsTimeout) =>
        _messages.TryTake(out message, millisecondsTimeout);

    /// <summary>The latest state of every bar reported since the last call.</summary>
    internal List<WorkerProgress> TakeProgress()
    {
        var taken = new List<WorkerProgress>(_progress.Count);
        foreach (var entry in _progress)
        {
            if (_progress.TryRemove(entry))
            {
                taken.Add(entry.Value);
            }
        }
        taken.Sort((a, b) => a.Id.CompareTo(b.Id));
        return taken;
    }

    private void Post(Action<LongRunningCommand> message)
    {
        try
        {
            _messages.Add(message);
        }
        catch (InvalidOperationException)
        {
            // The work has ended; a straggling thread's message has nowhere to go.
        }
    }

    private sealed class MappedProgress<T>(WorkerChannel channel, Func<T, WorkerProgress?> toBar) : IProgress<T>
    {
        public void Report(T value)
        {
            if (toBar(value) is { } bar)
            {
                channel.Progress(bar);
            }
        }
    }
}
