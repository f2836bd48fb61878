using System.Diagnostics;
using System.Management.Automation;

namespace GgufPs.Commands;

/// <summary>
/// The base of every cmdlet that runs long work: the work runs on a worker thread while the cmdlet's pipeline thread,
/// which alone may write to PowerShell's streams, writes what the work reports and watches for a stop.
/// <para>The contract, for a cmdlet built on it:</para>
/// <list type="bullet">
/// <item><c>T RunWorker&lt;T&gt;(Func&lt;WorkerChannel, CancellationToken, T&gt; work, bool interruptible = false)</c>
/// runs <c>work</c> on a worker thread and returns its result. Call it from BeginProcessing, ProcessRecord or
/// EndProcessing, after binding checks and ShouldProcess (which only the pipeline thread may call). The work reports
/// through the <see cref="WorkerChannel"/>: <c>Progress(WorkerProgress)</c> or <c>ProgressOf&lt;T&gt;(map)</c> for a core
/// IProgress, <c>Warning</c>, <c>Verbose</c>, <c>Information</c>, <c>HostText</c> (text shown as it comes),
/// <c>Output</c> (streaming results) and <c>Error</c> (non-terminating, through the catalogue). Bars left open are
/// completed when the work ends.</item>
/// <item>Stopping the pipeline (StopProcessing) cancels the token; RunWorker then waits for the work to end and throws
/// PipelineStoppedException, whatever the work returned or threw. The work never outlives the call.</item>
/// <item>With <c>interruptible: true</c>, Ctrl+C at the console cancels the token instead of stopping the pipeline,
/// so the cmdlet can still write what was done (see <see cref="ControlCInterception"/> for where that applies).
/// The work returns its partial result or throws OperationCanceledException, which RunWorker passes on. From then on
/// <see cref="Interrupted"/> is true and further RunWorker calls throw OperationCanceledException at once: a cmdlet
/// returns early from ProcessRecord when Interrupted, so one Ctrl+C ends the whole command.</item>
/// <item>Any other exception of the work is rethrown as it is. Run each input's work in <see cref="ReportCoreErrors"/>
/// (or <see cref="ThrowCoreErrors{T}"/> where nothing can go on), which catch the core's exceptions
/// (<see cref="ErrorCatalog.Covers"/>) and write them through the catalogue, so every cmdlet gives the same mistake
/// the same id. <see cref="RunInterruptible{T}"/> runs interruptible work and turns a Ctrl+C into a warning.</item>
/// </list>
/// </summary>
public abstract class LongRunningCommand : PSCmdlet, IDisposable
{
    private const int PumpMilliseconds = 50;
    private const int ProgressMilliseconds = 200;

    private readonly CancellationTokenSource _stop = new();

    /// <summary>True once Ctrl+C has interrupted interruptible work of this command.</summary>
    protected bool Interrupted { get; private set; }

    /// <summary>Cancelled when the pipeline stops, for cancellable work done on the pipeline thread.</summary>
    protected CancellationToken StopToken => _stop.Token;

    /// <summary>Runs <paramref name="work"/> on a worker thread; see the class for the contract.</summary>
    protected T RunWorker<T>(Func<WorkerChannel, CancellationToken, T> work, bool interruptible = false)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (Interrupted)
        {
            throw new OperationCanceledException("Stopped by Ctrl+C.");
        }
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        var channel = new WorkerChannel(cancel.Token);
        var task = Task.Run(() =>
        {
            try
            {
                return work(channel, cancel.Token);
            }
            finally
            {
                channel.Complete();
            }
        });
        using (var interception = interruptible ? ControlCInterception.TryStart(this) : null)
        {
            try
            {
                Pump(channel, () =>
                {
                    if (interception?.Pressed == true && !cancel.IsCancellationRequested)
                    {
                        Interrupted = true;
                        cancel.Cancel();
                    }
                });
            }
            catch
            {
                // Writing failed (the pipeline stops, or -ErrorAction Stop turned an error into a throw): the work
                // must not go on writing files after the command has ended.
                cancel.Cancel();
                try
                {
                    task.Wait();
                }
                catch (AggregateException)
                {
                }
                throw;
            }
        }
        try
        {
            T result = task.GetAwaiter().GetResult();
            if (_stop.IsCancellationRequested)
            {
                throw new PipelineStoppedException();
            }
            return result;
        }
        catch (Exception ex) when (_stop.IsCancellationRequested && ex is not PipelineStoppedException)
        {
            throw new PipelineStoppedException();
        }
    }

    /// <summary>Runs <paramref name="work"/>, which returns nothing (it writes through the channel), as <see cref="RunWorker{T}"/> does.</summary>
    protected void RunWorker(Action<WorkerChannel, CancellationToken> work, bool interruptible = false)
    {
        ArgumentNullException.ThrowIfNull(work);
        RunWorker((channel, cancel) =>
        {
            work(channel, cancel);
            return true;
        }, interruptible);
    }

    /// <summary>Writes <paramref name="exception"/> as a non-terminating error, with the catalogue's id and category.</summary>
    protected internal void WriteCoreError(Exception exception, object? target) => WriteError(ErrorCatalog.Record(exception, target));

    /// <summary>Ends the command with <paramref name="exception"/>, with the catalogue's id and category.</summary>
    protected void ThrowCoreError(Exception exception, object? target) => ThrowTerminatingError(ErrorCatalog.Record(exception, target));

    /// <summary>
    /// Runs <paramref name="work"/> for one input: a core exception becomes a non-terminating error on
    /// <paramref name="target"/> (see <see cref="ErrorCatalog"/>), and the command goes on with the next input.
    /// </summary>
    protected void ReportCoreErrors(object? target, Action work)
    {
        ArgumentNullException.ThrowIfNull(work);
        try
        {
            work();
        }
        catch (Exception ex) when (ErrorCatalog.Covers(ex))
        {
            WriteCoreError(ex, target);
        }
    }

    /// <summary>Returns what <paramref name="work"/> returns; a core exception ends the command, on <paramref name="target"/>.</summary>
    protected T ThrowCoreErrors<T>(object? target, Func<T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        try
        {
            return work();
        }
        catch (Exception ex) when (ErrorCatalog.Covers(ex))
        {
            ThrowCoreError(ex, target);
            throw; // Not reached: ThrowTerminatingError throws.
        }
    }

    /// <summary>
    /// <see cref="RunWorker{T}"/> with <c>interruptible: true</c>, for work whose result is all or nothing: when Ctrl+C
    /// stops it before it returns, <paramref name="stopped"/> (if any) is written as a warning and the result is null.
    /// </summary>
    protected T? RunInterruptible<T>(Func<WorkerChannel, CancellationToken, T> work, string? stopped = null)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(work);
        T? result = null;
        RunInterruptible((channel, cancel) =>
        {
            result = work(channel, cancel);
        }, stopped);
        return result;
    }

    /// <summary>
    /// <see cref="RunWorker"/> with <c>interruptible: true</c>, for work that writes its results as it goes: when
    /// Ctrl+C stops it, what it wrote stays and <paramref name="stopped"/> (if any) is written as a warning.
    /// </summary>
    protected void RunInterruptible(Action<WorkerChannel, CancellationToken> work, string? stopped = null)
    {
        try
        {
            RunWorker(work, interruptible: true);
        }
        catch (OperationCanceledException) when (Interrupted)
        {
            if (stopped is not null)
            {
                WriteWarning(stopped);
            }
        }
    }

    /// <summary>Whether the user gave <paramref name="parameter"/>, for values whose default means "not given".</summary>
    protected bool IsBound(string parameter) => MyInvocation.BoundParameters.ContainsKey(parameter);

    /// <summary>Whether -WhatIf is in effect, which ShouldProcess cannot tell from -Confirm: -WhatIf lists details a confirmation would not.</summary>
    protected bool IsWhatIf() =>
        MyInvocation.BoundParameters.TryGetValue("WhatIf", out object? value)
            ? value is SwitchParameter s ? s.IsPresent : LanguagePrimitives.IsTrue(value)
            : LanguagePrimitives.IsTrue(SessionState.PSVariable.GetValue("WhatIfPreference"));

    protected override void StopProcessing() => _stop.Cancel();

    public void Dispose()
    {
        _stop.Dispose();
        GC.SuppressFinalize(this);
    }

    // Writes what the work reports until it ends: messages in order, each progress bar's latest state at most every
    // ProgressMilliseconds (its completion at once), and finally completes the bars still open.
    private void Pump(WorkerChannel channel, Action watch)
    {
        var pending = new SortedDictionary<int, WorkerProgress>();
        var shown = new Dictionary<int, (WorkerProgress Bar, long At)>();
        var clock = Stopwatch.StartNew();
        while (!channel.IsCompleted)
        {
            if (channel.TryTake(out var message, PumpMilliseconds))
            {
                message!(this);
            }
            foreach (var bar in channel.TakeProgress())
            {
                pending[bar.Id] = bar;
            }
            foreach (var bar in pending.Values.ToList())
            {
                bool due = bar.Completed || !shown.TryGetValue(bar.Id, out var last) || clock.ElapsedMilliseconds - last.At >= ProgressMilliseconds;
                if (due)
                {
                    WriteProgress(ToRecord(bar));
                    pending.Remove(bar.Id);
                    if (bar.Completed)
                    {
                        shown.Remove(bar.Id);
                    }
                    else
                    {
                        shown[bar.Id] = (bar, clock.ElapsedMilliseconds);
                    }
                }
            }
            watch();
        }
        if (_stop.IsCancellationRequested)
        {
            return;
        }
        foreach (var (bar, _) in shown.Values.OrderByDescending(s => s.Bar.Id))
        {
            WriteProgress(ToRecord(bar with { Completed = true }));
        }
    }

    private static ProgressRecord ToRecord(WorkerProgress bar) =>
        new(bar.Id, string.IsNullOrEmpty(bar.Activity) ? " " : bar.Activity, string.IsNullOrEmpty(bar.Status) ? " " : bar.Status)
        {
            ParentActivityId = bar.ParentId,
            PercentComplete = Math.Clamp(bar.PercentComplete, -1, 100),
            SecondsRemaining = bar.Remaining is { } left ? (int)Math.Ceiling(Math.Clamp(left.TotalSeconds, 0, int.MaxValue)) : -1,
            CurrentOperation = bar.CurrentOperation,
            RecordType = bar.Completed ? ProgressRecordType.Completed : ProgressRecordType.Processing,
        };
}
