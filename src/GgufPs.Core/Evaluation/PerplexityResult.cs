namespace GgufPs;

/// <summary>
/// What Measure-Perplexity reports: llama-perplexity's final estimate with its ± (the standard error of the mean
/// negative log-likelihood, scaled by the perplexity), the running estimate after each chunk, and speed.
/// </summary>
public sealed class PerplexityResult
{
    /// <summary>The model file.</summary>
    public required string Model { get; init; }

    public required double Perplexity { get; init; }

    /// <summary>llama.cpp's "+/-": PPL × sqrt(var(nll) / (count - 1)).</summary>
    public required double StandardError { get; init; }

    /// <summary>The context size (tokens per chunk).</summary>
    public required int Context { get; init; }

    /// <summary>Chunks evaluated.</summary>
    public required int Chunks { get; init; }

    /// <summary>Tokens whose probability was scored (the second half of each chunk, minus one).</summary>
    public required long TokensScored { get; init; }

    /// <summary>Tokens of the whole text after tokenization.</summary>
    public required long TokensInText { get; init; }

    public required double Seconds { get; init; }

    /// <summary>Tokens evaluated per second, all positions of each chunk (llama.cpp's prompt-eval rate).</summary>
    public required double TokensPerSecond { get; init; }

    /// <summary>The running perplexity after each chunk, as llama-perplexity prints it ([1]…,[2]…).</summary>
    public required double[] ChunkPerplexities { get; init; }

    /// <summary>False when the measurement was stopped before all chunks were done.</summary>
    public required bool Completed { get; init; }

    /// <summary>Mean negative log-likelihood per scored token (ln PPL).</summary>
    public double MeanNegativeLogLikelihood => Math.Log(Perplexity);

    /// <summary>Comparison with a reference model's output, when one was given.</summary>
    public KlDivergenceResult? KlDivergence { get; init; }

    public override string ToString() =>
        FormattableString.Invariant($"PPL = {Perplexity:F4} +/- {StandardError:F5} ({Chunks} chunks of {Context})");
}
