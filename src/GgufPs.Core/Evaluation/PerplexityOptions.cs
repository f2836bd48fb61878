namespace GgufPs.Evaluation;

/// <summary>How to measure perplexity; the defaults are llama-perplexity's.</summary>
public sealed class PerplexityOptions
{
    /// <summary>Tokens per chunk (-c).</summary>
    public int Context { get; init; } = 512;

    /// <summary>How many chunks at most (--chunks); null for all the text allows.</summary>
    public int? Chunks { get; init; }

    /// <summary>Tokens evaluated at once (-b); a chunk is split into batches of this size. Does not change the result.</summary>
    public int BatchSize { get; init; } = 2048;

    public int Threads { get; init; } = Environment.ProcessorCount;
}
