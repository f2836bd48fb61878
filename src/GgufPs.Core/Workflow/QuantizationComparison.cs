namespace GgufPs;

/// <summary>
/// One row of Compare-Quantization's table: a quantization of the source model (or the source itself, the baseline
/// row) measured on the same text: perplexity and its change, KL divergence from the source, size, bits per weight,
/// speed and an estimate of the memory needed to run it. Every property is a plain value, so the rows go straight to
/// Export-Csv and ConvertTo-Json.
/// </summary>
public sealed class QuantizationComparison
{
    /// <summary>The quantization type (Q4_K_M), or the source's own type (F16) on the baseline row.</summary>
    public required string Type { get; init; }

    /// <summary>Perplexity on the text, as Measure-Perplexity gives it for the same file, context and chunks.</summary>
    public required double Perplexity { get; init; }

    /// <summary>Change of perplexity from the source, in percent (+1.68 means 1.68% higher).</summary>
    public required double Delta { get; init; }

    /// <summary>Mean KL divergence of the token distributions from the source's, as llama-perplexity --kl-divergence computes it.</summary>
    public required double KLD { get; init; }

    /// <summary>File size in GB (10^9 bytes).</summary>
    public double SizeGB => FileSize / 1e9;

    /// <summary>Tensor bits per parameter of the file.</summary>
    public required double BitsPerWeight { get; init; }

    /// <summary>
    /// Tokens generated per second, one at a time (llama-bench's tg test): the seed's Tokens/sec, bound by reading
    /// every weight for each token, so smaller files generate faster.
    /// </summary>
    public required double GenerationTokensPerSecond { get; init; }

    /// <summary>Estimated memory to run the model with the comparison's context, in GB: the file plus an F16 KV cache.</summary>
    public double RamGB => RamBytes / 1e9;

    /// <summary>
    /// The rating drawn from <see cref="Delta"/> and <see cref="KLD"/> (the worse of the two decides): Baseline (the
    /// source), NearLossless (perplexity within +0.5% and KLD at most 0.01: for technical work), Good (+3%, 0.05: for
    /// general use), Noticeable (+10%, 0.2) or Poor (worse: not recommended).
    /// </summary>
    public required string Quality { get; init; }

    /// <summary>The perplexity's standard error (llama.cpp's "+/-").</summary>
    public required double StandardError { get; init; }

    /// <summary>Uncertainty (one standard error) of <see cref="KLD"/>.</summary>
    public required double KLDUncertainty { get; init; }

    /// <summary>Percentage of positions where the model's most likely token is the source's.</summary>
    public required double SameTopTokenPercent { get; init; }

    /// <summary>File size in bytes.</summary>
    public required long FileSize { get; init; }

    /// <summary>Estimated memory to run the model, in bytes: the file plus an F16 KV cache for the context.</summary>
    public required long RamBytes { get; init; }

    /// <summary>Tensors that got another type than the mix wanted because their rows do not fit its blocks.</summary>
    public required int FallbackTensors { get; init; }

    /// <summary>Seconds spent quantizing (0 on the baseline row).</summary>
    public required double QuantizeSeconds { get; init; }

    /// <summary>Tokens per chunk.</summary>
    public required int Context { get; init; }

    /// <summary>Chunks measured.</summary>
    public required int Chunks { get; init; }

    /// <summary>True on the source's own row.</summary>
    public required bool IsBaseline { get; init; }

    /// <summary>Prompt tokens evaluated per second while measuring the perplexity, after the first chunk (which also pays for loading the weights).</summary>
    public required double PromptTokensPerSecond { get; init; }

    /// <summary>The sample prompt and its greedy continuation by this type (null when no sample was asked for).</summary>
    public required string? Sample { get; init; }

    /// <summary>The quantized file's name (the name Invoke-Quantize would give it).</summary>
    public required string Model { get; init; }

    /// <summary>The quantized file, when it was kept (-KeepFiles) or is the source; null when it was removed.</summary>
    public required string? Path { get; init; }

    /// <summary>The source model.</summary>
    public required string Source { get; init; }

    public override string ToString() => FormattableString.Invariant($"{Type}: PPL {Perplexity:F4} ({Delta:+0.00;-0.00}%), KLD {KLD:F6}, {FileSize} bytes");
}
