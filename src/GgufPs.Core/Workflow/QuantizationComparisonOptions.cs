using GgufPs.Quantization;

namespace GgufPs.Workflow;

/// <summary>What to compare and how to measure it; the measurement defaults are llama-perplexity's.</summary>
public sealed class QuantizationComparisonOptions
{
    /// <summary>The seed's comparison: the types its Format Comparison table lists.</summary>
    public static IReadOnlyList<string> DefaultTypeNames { get; } = ["Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "Q4_K_S", "Q3_K_M", "Q2_K"];

    public IReadOnlyList<QuantizationPreset> Types { get; init; } = DefaultTypeNames.Select(QuantizationPreset.Parse).ToArray();

    /// <summary>Tokens per chunk (-c).</summary>
    public int Context { get; init; } = 512;

    /// <summary>How many chunks at most; null for all the text allows.</summary>
    public int? Chunks { get; init; }

    /// <summary>Tokens evaluated at once (-b); does not change the result.</summary>
    public int BatchSize { get; init; } = 2048;

    /// <summary>Threads for quantizing and evaluating.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>Importance weights for every quantization.</summary>
    public ImportanceMatrix? ImportanceMatrix { get; init; }

    /// <summary>
    /// Where the quantized files and the source's log-probabilities go, created if missing. Null for a new folder
    /// under the system's temporary folder, removed at the end, or for the source's folder when the files are kept.
    /// </summary>
    public string? OutputDirectory { get; init; }

    /// <summary>The prompt each type continues greedily, for a look at its text.</summary>
    public string SamplePrompt { get; init; } = DefaultSamplePrompt;

    /// <summary>Tokens each type generates from <see cref="SamplePrompt"/>; 0 for no sample.</summary>
    public int SampleTokens { get; init; } = 16;

    /// <summary>Tokens of the generation-speed test (llama-bench's tg) of each type.</summary>
    public int GenerationTokens { get; init; } = 64;

    /// <summary>The start of a story: a base model continues it with prose, a chat model too, and garbling shows at once.</summary>
    public const string DefaultSamplePrompt = "Once upon a time";

    /// <summary>Keep the quantized files, under Invoke-Quantize's names, and the log-probabilities file.</summary>
    public bool KeepFiles { get; init; }

    /// <summary>Replace kept files that already exist.</summary>
    public bool Overwrite { get; init; }
}
