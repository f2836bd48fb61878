namespace GgufPs.HubStandIn;

/// <summary>
/// A fault switch: applies to the next <see cref="Times"/> requests of its <see cref="Target"/> kind that match its
/// repository and path (null matches any), then disarms.
/// </summary>
public sealed class StandInFault
{
    private int _remaining;

    public StandInFault(StandInFaultKind kind, int times = 1)
    {
        Kind = kind;
        _remaining = times;
    }

    public StandInFaultKind Kind { get; }

    public StandInFaultTarget Target { get; init; } = StandInFaultTarget.Content;

    public string? Repository { get; init; }

    public string? Path { get; init; }

    /// <summary>For <see cref="StandInFaultKind.DropConnection"/>: body bytes sent before the connection drops.</summary>
    public long AfterBytes { get; init; }

    /// <summary>For 429 and 503: the Retry-After header in seconds, or null to send none.</summary>
    public int? RetryAfterSeconds { get; init; } = 1;

    /// <summary>How many more requests this fault will hit.</summary>
    public int Remaining => Volatile.Read(ref _remaining);

    internal bool TryTrigger(StandInFaultTarget target, string? repository, string? path)
    {
        if (target != Target || (Repository is not null && Repository != repository) || (Path is not null && Path != path))
        {
            return false;
        }
        while (true)
        {
            int current = Volatile.Read(ref _remaining);
            if (current <= 0)
            {
                return false;
            }
            if (Interlocked.CompareExchange(ref _remaining, current - 1, current) == current)
            {
                return true;
            }
        }
    }
}
