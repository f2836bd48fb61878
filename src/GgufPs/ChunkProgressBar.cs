using GgufPs.Evaluation;
using GgufPs.Workflow;

namespace GgufPs.Commands;

/// <summary>
/// The progress bar of a run over a text's chunks (Measure-Perplexity, New-ImportanceMatrix): a first status at once,
/// since loading the model and the first chunk come before any report, then each report's status, percentage and
/// time left, with a line for the verbose stream (llama.cpp's running estimate).
/// </summary>
internal static class ChunkProgressBar
{
    /// <summary>Measure-Perplexity's bar, with llama-perplexity's running estimate for the verbose stream.</summary>
    public static IProgress<PerplexityProgress> ForPerplexity(WorkerChannel channel, string modelPath) =>
        Start(channel, PerplexityProgressText.Activity(modelPath), PerplexityProgressText.FirstChunkStatus, PerplexityProgressText.Status, PerplexityProgressText.RunningEstimate);

    /// <summary>New-ImportanceMatrix's bar, with the running perplexity (when measured) for the verbose stream.</summary>
    public static IProgress<PerplexityProgress> ForImportanceMatrix(WorkerChannel channel, string modelPath) =>
        Start(channel, ImportanceMatrixMessages.Activity(modelPath), ImportanceMatrixMessages.FirstChunkStatus, ImportanceMatrixMessages.ChunkStatus,
            ImportanceMatrixMessages.RunningPerplexity);

    /// <summary>Shows <paramref name="firstStatus"/>; the progress for the run. <paramref name="verbose"/> may give null for no line.</summary>
    private static IProgress<PerplexityProgress> Start(WorkerChannel channel, string activity, string firstStatus,
        Func<PerplexityProgress, string> status, Func<PerplexityProgress, string?> verbose)
    {
        channel.Progress(new WorkerProgress(1, activity, firstStatus));
        return channel.ProgressOf<PerplexityProgress>(p =>
        {
            if (verbose(p) is { } line)
            {
                channel.Verbose(line);
            }
            return new WorkerProgress(1, activity, status(p)) { PercentComplete = p.PercentComplete, Remaining = p.EstimatedRemaining };
        });
    }
}
