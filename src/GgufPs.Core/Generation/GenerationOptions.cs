namespace GgufPs.Generation;

/// <summary>How to generate: the sampler chain, when to stop, and the context to run in; the defaults are llama-cli's.</summary>
public sealed class GenerationOptions
{
    /// <summary>The context llama-cli allocates when the model's own is larger (its default -c 4096).</summary>
    public const int DefaultContextCap = 4096;

    public SamplingOptions Sampling { get; init; } = new();

    /// <summary>The most tokens to generate (-n); -1 for no limit but the end of generation or a full context.</summary>
    public int MaxTokens { get; init; } = 128;

    /// <summary>Strings that end the generation when the text reaches one (llama-server's "stop"); the text leaves it out.</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];

    /// <summary>Never choose an end-of-generation token (llama.cpp's --ignore-eos: a -inf logit bias on each).</summary>
    public bool IgnoreEos { get; init; }

    /// <summary>
    /// Positions of the KV cache. Null: what the prompt and <see cref="MaxTokens"/> need, but no more than the
    /// model's training context (or <see cref="DefaultContextCap"/>, whichever is smaller) unless the prompt is longer.
    /// </summary>
    public int? Context { get; init; }

    /// <summary>Tokens of the prompt evaluated at once (-b); does not change the result.</summary>
    public int BatchSize { get; init; } = 2048;

    public int Threads { get; init; } = Environment.ProcessorCount;
}
