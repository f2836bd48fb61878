namespace GgufPs.Evaluation;

/// <summary>What Measure-Throughput measures; the defaults are llama-bench's.</summary>
public sealed class ThroughputOptions
{
    /// <summary>Tokens of the prompt-processing test (-p); 0 skips it.</summary>
    public int PromptTokens { get; init; } = 512;

    /// <summary>Tokens of the generation test (-n); 0 skips it.</summary>
    public int GenerateTokens { get; init; } = 128;

    /// <summary>Timed runs of each test (-r).</summary>
    public int Repetitions { get; init; } = 5;

    /// <summary>Prompt tokens evaluated at once (-b).</summary>
    public int BatchSize { get; init; } = 2048;

    /// <summary>Run each test once, untimed, before the timed runs (llama-bench without --no-warmup).</summary>
    public bool Warmup { get; init; } = true;
}
