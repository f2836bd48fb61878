using System.Globalization;
using GgufPs.Evaluation;

namespace GgufPs.Workflow;

/// <summary>New-ImportanceMatrix's confirmation and progress texts.</summary>
public static class ImportanceMatrixMessages
{
    public static string MergeAction(int inputs, int entries, ImportanceMatrixFormat format) =>
        $"Write the merge of {inputs} importance matrices ({entries} entries, {format})";

    /// <summary><paramref name="chunks"/> is null for every chunk of the text.</summary>
    public static string ComputeAction(string modelPath, int? chunks, int context, ImportanceMatrixFormat format) =>
        $"Compute the importance matrix of {Path.GetFileName(modelPath)} over {(chunks is { } n ? $"{n} chunk(s)" : "all chunks")} of {context} tokens ({format})";

    public static string Activity(string modelPath) => $"Computing the importance matrix of {Path.GetFileName(modelPath)}";

    public const string FirstChunkStatus = PerplexityProgressText.FirstChunkStatus;

    public static string ChunkStatus(PerplexityProgress progress) =>
        $"Chunk {progress.ChunksDone} of {progress.Chunks}" + (IsMeasured(progress) ? $": perplexity {Perplexity(progress)}" : "");

    /// <summary>llama-imatrix's running estimate line ([chunk]perplexity), or null when perplexity is not measured.</summary>
    public static string? RunningPerplexity(PerplexityProgress progress) =>
        IsMeasured(progress) ? $"[{progress.ChunksDone}]{Perplexity(progress)}" : null;

    private static bool IsMeasured(PerplexityProgress progress) => !double.IsNaN(progress.RunningPerplexity);

    private static string Perplexity(PerplexityProgress progress) => progress.RunningPerplexity.ToString("F4", CultureInfo.InvariantCulture);
}
