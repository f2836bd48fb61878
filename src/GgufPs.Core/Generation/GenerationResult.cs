namespace GgufPs;

/// <summary>
/// What Invoke-TextGeneration returns (and each answer of a chat): the continuation of the prompt as llama.cpp
/// prints it piece by piece, so that <see cref="Prompt"/> + <see cref="Text"/> reads as the whole text, the
/// generated token ids, why it stopped, the seed the sampler used, and speed.
/// </summary>
public sealed class GenerationResult
{
    /// <summary>The model's file name.</summary>
    public required string Model { get; init; }

    /// <summary>The model file.</summary>
    public required string Path { get; init; }

    /// <summary>The prompt as the model saw it (a conversation formatted with its chat template).</summary>
    public required string Prompt { get; init; }

    /// <summary>The generated text, without the end-of-generation token and without a stop string.</summary>
    public required string Text { get; init; }

    /// <summary>The generated token ids (not the end-of-generation token).</summary>
    public required int[] Tokens { get; init; }

    /// <summary>Tokens of the prompt, BOS included.</summary>
    public required int PromptTokenCount { get; init; }

    /// <summary>Tokens of the prompt that a chat found in its KV cache from earlier turns, so did not evaluate again.</summary>
    public int CachedPromptTokenCount { get; init; }

    /// <summary>Tokens generated (<see cref="Tokens"/>.Length).</summary>
    public int TokenCount => Tokens.Length;

    public required StopReason StopReason { get; init; }

    /// <summary>The stop string the text reached, when <see cref="StopReason"/> is Stop.</summary>
    public string? StopString { get; init; }

    /// <summary>The seed of the sampler: the one given, or the random one drawn, to repeat the run with -Seed.</summary>
    public required uint Seed { get; init; }

    /// <summary>Prompt tokens evaluated per second (llama.cpp's "prompt eval" rate).</summary>
    public required double PromptTokensPerSecond { get; init; }

    /// <summary>Tokens generated per second, sampling and evaluating one at a time (llama.cpp's "eval" rate).</summary>
    public required double TokensPerSecond { get; init; }

    /// <summary>Seconds from tokenizing the prompt to the last token.</summary>
    public required double Seconds { get; init; }

    public override string ToString() => Text;
}
