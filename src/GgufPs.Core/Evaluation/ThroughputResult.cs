namespace GgufPs;

/// <summary>
/// One row of Measure-Throughput, as one line of llama-bench: a model, a thread count and a test (pp512: a prompt of
/// 512 random tokens evaluated in batches; tg128: 128 tokens generated one at a time), with the mean and sample
/// standard deviation of the tokens per second over the timed runs.
/// </summary>
public sealed class ThroughputResult
{
    /// <summary>The model's file name.</summary>
    public required string Model { get; init; }

    /// <summary>The model's type (F16, Q8_0, Q4_K_M ...), from general.file_type.</summary>
    public required string Type { get; init; }

    /// <summary>Bytes of the model's tensors (llama_model_size, what llama-bench's size column shows).</summary>
    public required long SizeBytes { get; init; }

    /// <summary>The model's parameters (llama_model_n_params).</summary>
    public required long Parameters { get; init; }

    public required int Threads { get; init; }

    /// <summary>llama-bench's name of the test: pp512, tg128.</summary>
    public required string Test { get; init; }

    /// <summary>Mean tokens per second over the timed runs (llama-bench's avg_ts).</summary>
    public required double TokensPerSecond { get; init; }

    /// <summary>Sample standard deviation of the tokens per second (llama-bench's stddev_ts).</summary>
    public required double StandardDeviation { get; init; }

    /// <summary>Tokens per second of each timed run.</summary>
    public required ThroughputSamples Samples { get; init; }

    /// <summary>Tokens of the prompt test (llama-bench's n_prompt; 0 for a generation test).</summary>
    public required int PromptTokens { get; init; }

    /// <summary>Tokens of the generation test (llama-bench's n_gen; 0 for a prompt test).</summary>
    public required int GeneratedTokens { get; init; }

    /// <summary>The model file.</summary>
    public required string Path { get; init; }

    public override string ToString() => FormattableString.Invariant($"{Model} {Test} t={Threads}: {TokensPerSecond:F2} ± {StandardDeviation:F2} tok/s");
}
