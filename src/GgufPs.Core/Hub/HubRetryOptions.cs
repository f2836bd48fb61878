namespace GgufPs.Hub;

/// <summary>
/// Retries of 429/503 answers and failed connections: exponential backoff from <see cref="BaseDelay"/> doubling up to
/// <see cref="MaxDelay"/> (huggingface_hub's http_backoff: 1 s to 8 s, 5 retries), Retry-After when the server sends
/// it (capped at <see cref="MaxRetryAfter"/>).
/// </summary>
public sealed record HubRetryOptions
{
    public int MaxRetries { get; init; } = 5;

    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(8);

    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan Backoff(int attempt) =>
        TimeSpan.FromTicks(Math.Min(MaxDelay.Ticks, BaseDelay.Ticks * (1L << Math.Min(attempt, 20))));
}
