namespace GgufPs.Hub;

/// <summary>How downloads run: files at once, parallel ranges of a large file, and retries of dropped connections.</summary>
public sealed record HfTransferOptions
{
    /// <summary>Files downloaded at once (huggingface_hub's max_workers, 8).</summary>
    public int MaxConcurrentFiles { get; init; } = 8;

    /// <summary>Connections a large file is split over.</summary>
    public int RangesPerFile { get; init; } = 4;

    /// <summary>Files at least this large are split into ranges.</summary>
    public long ParallelThreshold { get; init; } = 32L << 20;

    /// <summary>
    /// Split files from loopback hosts too. Off by default: measured on a 2 GB file from the stand-in, one stream
    /// (hashing on a second thread) ran faster than ranges (see README).
    /// </summary>
    public bool SplitOnLoopback { get; init; }

    /// <summary>The size of one range. At most RangesPerFile + 2 ranges of a file are held in memory.</summary>
    public int ChunkSize { get; init; } = 8 << 20;

    /// <summary>Tries in a row without new data before a download gives up (huggingface_hub's http_get: 5).</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>The pause before resuming a dropped connection (huggingface_hub: 1 s).</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);
}
