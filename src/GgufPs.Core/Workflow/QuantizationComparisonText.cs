using GgufPs.Quantization;

namespace GgufPs.Workflow;

/// <summary>
/// Compare-Quantization's confirmation and progress: a bar for the whole comparison (the source's measurement, then
/// each type's share, half quantizing and half measuring) and one for the step at hand.
/// </summary>
public static class QuantizationComparisonText
{
    /// <summary>What comparing one type does; <paramref name="chunks"/> is null for every chunk.</summary>
    public static string Action(QuantizationCandidate candidate, QuantizationPlan plan, int? chunks, int context, bool keepFiles) =>
        $"Quantize to {candidate.Type.Name} ({ByteSize.Format(plan.PredictedFileSize)}) and measure it against the source on "
        + $"{(chunks is { } n ? $"{n} chunk(s)" : "every chunk")} of {context} tokens" + (keepFiles ? "" : ", then delete it");

    public static string Note(QuantizationCandidate candidate, string note) => $"{candidate.Type.Name}: {note}";

    public static string Activity(string sourceFileName) => $"Compare-Quantization {sourceFileName}";

    public static string SourceStatus(string sourceType) => $"Measuring the source ({sourceType})";

    /// <summary>The status of the <paramref name="index"/>th (from 1) of <paramref name="count"/> types.</summary>
    public static string TypeStatus(QuantizationCandidate candidate, int index, int count) => $"{candidate.Type.Name} ({index} of {count})";

    /// <summary>The whole comparison's percentage at <paramref name="step"/> (0 for the source, then each type) of <paramref name="types"/> types.</summary>
    public static int OverallPercent(int step, int types, QuantizationComparisonProgress progress)
    {
        int within = progress.Stage switch
        {
            QuantizationComparisonStage.Quantizing => progress.PercentComplete / 2,
            QuantizationComparisonStage.Measuring => 50 + progress.PercentComplete / 2,
            _ => progress.PercentComplete,
        };
        double total = (types + 1) * 100;
        return (int)Math.Clamp((step * 100 + within) * 100 / total, 0, 100);
    }

    public static string StepActivity(QuantizationComparisonProgress progress) => progress.Stage switch
    {
        QuantizationComparisonStage.Quantizing => $"Quantizing to {progress.Type}",
        QuantizationComparisonStage.Measuring => $"Measuring {progress.Type} against the source",
        _ => $"Measuring the source ({progress.Type})",
    };
}
