namespace GgufPs.Commands;

/// <summary>
/// One progress bar's state, reported by a worker through <see cref="WorkerChannel.Progress"/> and written as a
/// ProgressRecord on the pipeline thread. Immutable, so the worker can go on while the pipeline thread writes it.
/// Bars with the same <see cref="Id"/> replace each other (a few times a second at most); a child names its parent
/// with <see cref="ParentId"/>. Bars left open when the work ends are completed by the base.
/// </summary>
public sealed record WorkerProgress(int Id, string Activity, string Status)
{
    /// <summary>The bar this one is drawn under, or -1.</summary>
    public int ParentId { get; init; } = -1;

    /// <summary>0 to 100, or -1 for no percentage.</summary>
    public int PercentComplete { get; init; } = -1;

    public TimeSpan? Remaining { get; init; }

    public string? CurrentOperation { get; init; }

    /// <summary>Removes the bar.</summary>
    public bool Completed { get; init; }

    /// <summary>The time left if <paramref name="done"/> of <paramref name="total"/> took <paramref name="elapsed"/>; null before any progress.</summary>
    public static TimeSpan? RemainingAfter(TimeSpan elapsed, double done, double total) =>
        done <= 0 || total <= done ? null : elapsed * ((total - done) / done);

    /// <summary>The whole percentage <paramref name="done"/> is of <paramref name="total"/>, within 0 to 100.</summary>
    public static int Percent(double done, double total) => total <= 0 ? 0 : (int)Math.Clamp(done * 100 / total, 0, 100);
}
