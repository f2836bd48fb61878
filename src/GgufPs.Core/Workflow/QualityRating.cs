namespace GgufPs.Workflow;

/// <summary>
/// Rates a quantization in the terms of the usual guides (near-lossless for technical work, good for general use,
/// not recommended) from its perplexity increase and mean KL divergence over the source; the worse of the two decides,
/// so a perplexity that improves by chance on a short text does not hide a real change in the distributions.
/// </summary>
internal static class QualityRating
{
    public const string Baseline = "Baseline";
    public const string NearLossless = "NearLossless";
    public const string Good = "Good";
    public const string Noticeable = "Noticeable";
    public const string Poor = "Poor";

    /// <summary>NearLossless: within +0.5% and KLD 0.01; Good: +3% and 0.05; Noticeable: +10% and 0.2; otherwise Poor.</summary>
    public static string Rate(double deltaPercent, double meanKlDivergence)
    {
        double delta = Math.Max(0, deltaPercent);
        if (delta <= 0.5 && meanKlDivergence <= 0.01)
        {
            return NearLossless;
        }
        if (delta <= 3 && meanKlDivergence <= 0.05)
        {
            return Good;
        }
        return delta <= 10 && meanKlDivergence <= 0.2 ? Noticeable : Poor;
    }
}
