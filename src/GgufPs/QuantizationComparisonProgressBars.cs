using GgufPs.Workflow;

namespace GgufPs.Commands;

/// <summary>
/// Compare-Quantization's progress: a bar for the whole comparison (half of each type's share quantizing, half
/// measuring) and one under it for the step at hand.
/// </summary>
internal static class QuantizationComparisonProgressBars
{
    /// <summary>The progress of step <paramref name="step"/> (0, the source, then 1 to <paramref name="types"/>), shown as <paramref name="status"/>.</summary>
    public static IProgress<QuantizationComparisonProgress> For(WorkerChannel channel, QuantizationComparer comparer, int step, int types, string status) =>
        channel.ProgressOf<QuantizationComparisonProgress>(p =>
        {
            channel.Progress(new WorkerProgress(1, QuantizationComparisonText.Activity(comparer.Source.FileName), status)
            {
                PercentComplete = QuantizationComparisonText.OverallPercent(step, types, p),
            });
            return new WorkerProgress(2, QuantizationComparisonText.StepActivity(p), p.Status) { ParentId = 1, PercentComplete = p.PercentComplete, Remaining = p.EstimatedRemaining };
        });
}
