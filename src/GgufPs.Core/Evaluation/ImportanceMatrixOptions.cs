namespace GgufPs.Evaluation;

/// <summary>How to compute an importance matrix; the defaults are llama-imatrix's.</summary>
public sealed class ImportanceMatrixOptions
{
    /// <summary>Tokens per chunk (-c).</summary>
    public int Context { get; init; } = 512;

    /// <summary>How many chunks at most (--chunks); null for all the text allows.</summary>
    public int? Chunks { get; init; }

    /// <summary>Chunks to skip at the start of the text (--chunk).</summary>
    public int SkipChunks { get; init; }

    /// <summary>
    /// Tokens evaluated at once: llama.cpp's physical batch (-ub, 512). A chunk is split into batches of this size;
    /// as in llama-imatrix, a batch of fewer than 16 tokens adds nothing to the matrix.
    /// </summary>
    public int BatchSize { get; init; } = 512;

    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>Also measure the perplexity of the text (off with --no-ppl).</summary>
    public bool ComputePerplexity { get; init; } = true;

    /// <summary>Parse special tokens in the text (--parse-special).</summary>
    public bool ParseSpecial { get; init; }
}
