using GgufPs.Quantization;
using GgufPs.Workflow;

namespace GgufPs.Commands;

/// <summary>Invoke-Quantize's progress: a bar for the file, with a bar for the tensor at hand under it.</summary>
internal static class QuantizationProgressBars
{
    public static IProgress<QuantizationProgress> For(WorkerChannel channel, QuantizationJob job)
    {
        string activity = QuantizationProgressText.Activity(job.Plan);
        string files = QuantizationProgressText.Files(job.Plan, job.OutputPath);
        return channel.ProgressOf<QuantizationProgress>(p =>
        {
            channel.Progress(new WorkerProgress(1, activity, files)
            {
                PercentComplete = WorkerProgress.Percent(p.BytesDone, p.BytesTotal),
                Remaining = WorkerProgress.RemainingAfter(channel.Elapsed, p.BytesDone, p.BytesTotal),
            });
            return new WorkerProgress(2, QuantizationProgressText.TensorActivity(p), QuantizationProgressText.TensorStatus(p))
            {
                ParentId = 1,
                PercentComplete = p.RowCount == 0 ? 100 : WorkerProgress.Percent(p.RowsDone, p.RowCount),
            };
        });
    }
}
