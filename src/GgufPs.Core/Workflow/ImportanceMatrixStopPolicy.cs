using GgufPs.Evaluation;

namespace GgufPs.Workflow;

/// <summary>
/// What New-ImportanceMatrix keeps of a run: a finished run is saved; a stopped one only with -Force (as llama-imatrix
/// saves on Ctrl+C), and only when a chunk was finished, since the finished chunks are all in the matrix.
/// </summary>
public static class ImportanceMatrixStopPolicy
{
    /// <summary>Whether a stopped run's matrix is saved.</summary>
    public static bool KeepsPartial(bool force, int chunksInMatrix) => force && chunksInMatrix > 0;

    /// <summary>Whether the matrix is saved; <paramref name="result"/> is null when no chunk was finished.</summary>
    public static bool Keeps(PerplexityResult? result, bool force, int chunksInMatrix) =>
        result is { Completed: true } || KeepsPartial(force, chunksInMatrix);

    /// <summary>The warning for a run that stopped early, or null for one that finished.</summary>
    public static string? StopWarning(PerplexityResult? result, bool kept, string output)
    {
        if (result is { Completed: true })
        {
            return null;
        }
        string when = result is null ? "before the first chunk was finished" : $"after {result.Chunks} chunk(s)";
        return kept ? $"Stopped {when}; '{output}' holds what was computed until then."
            : $"Stopped {when}; nothing was written (with -Force, what was computed until a stop is saved).";
    }

    /// <summary>
    /// Ends a run: saves the matrix when the policy keeps it, and returns its description (null when nothing was
    /// written) and the warning for an early stop (null when the run finished).
    /// </summary>
    public static (ImportanceMatrixInfo? Info, string? Warning) Conclude(PerplexityResult? result, ImportanceMatrixAccumulator matrix,
        string output, ImportanceMatrixFormat format, bool force, string modelPath, bool statistics)
    {
        bool keep = Keeps(result, force, matrix.ChunkCount);
        if (keep)
        {
            matrix.Save(output, format, force);
        }
        return (keep ? ImportanceMatrixFiles.Describe(output, format, matrix, modelPath, result, statistics) : null, StopWarning(result, keep, output));
    }
}
