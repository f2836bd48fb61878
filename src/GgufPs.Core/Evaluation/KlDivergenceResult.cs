namespace GgufPs;

/// <summary>
/// How a model's token distributions differ from a reference's over the scored tokens, with the statistics
/// llama-perplexity --kl-divergence prints (uncertainties are one standard error).
/// </summary>
public sealed class KlDivergenceResult
{
    /// <summary>The reference model, or the reference logits file.</summary>
    public required string Reference { get; init; }

    public required long Tokens { get; init; }

    public required double ReferencePerplexity { get; init; }

    public required double ReferenceStandardError { get; init; }

    /// <summary>Mean ln(PPL(Q)/PPL(base)).</summary>
    public required double LnPerplexityRatio { get; init; }

    public required double LnPerplexityRatioUncertainty { get; init; }

    /// <summary>Correlation of the per-token ln probabilities of the two models.</summary>
    public required double Correlation { get; init; }

    public required double MeanKlDivergence { get; init; }

    public required double MeanKlDivergenceUncertainty { get; init; }

    public required double MedianKlDivergence { get; init; }

    public required double MaximumKlDivergence { get; init; }

    /// <summary>KLD percentiles keyed by percent: 99.9, 99, 95, 90, 10, 5, 1 and 0.1.</summary>
    public required IReadOnlyDictionary<double, double> KlDivergencePercentiles { get; init; }

    /// <summary>Mean of p(Q) − p(base) for the actual next token.</summary>
    public required double MeanDeltaP { get; init; }

    /// <summary>Root mean square of p(Q) − p(base), as a fraction (llama.cpp prints it ×100 as %).</summary>
    public required double RmsDeltaP { get; init; }

    public required double RmsDeltaPUncertainty { get; init; }

    /// <summary>Percentage of positions where both models' most likely token is the same.</summary>
    public required double SameTopTokenPercent { get; init; }

    public required double SameTopTokenUncertainty { get; init; }

    public double PerplexityRatio => Math.Exp(LnPerplexityRatio);

    public override string ToString() => FormattableString.Invariant(
        $"KLD {MeanKlDivergence:F6} ± {MeanKlDivergenceUncertainty:F6}, same top {SameTopTokenPercent:F3}%, RMS Δp {100 * RmsDeltaP:F3}%");
}
