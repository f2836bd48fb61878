namespace GgufPs.Workflow;

/// <summary>
/// What New-ImportanceMatrix's parameter sets cannot say: a model needs a text, and merging alone (no model, as
/// llama-imatrix without -f) needs matrices to merge and a file to write.
/// </summary>
public static class ImportanceMatrixInputCheck
{
    /// <summary>The problem with the given inputs, or null when they make a run.</summary>
    public static string? Problem(bool model, bool text, bool merge, bool output) =>
        !model && (text || !merge)
            ? "Give the model with -Path (or from the pipeline) and the calibration text with -TextPath or -Text; or, to merge importance matrices, -Merge and -OutputPath."
        : !model && !output ? "Merging importance matrices without a model needs -OutputPath, the file to write."
        : model && !text ? "Give the calibration text with -TextPath (a file) or -Text (a string)."
        : null;

    /// <summary>The parameters that only computing from a model takes.</summary>
    public static IReadOnlyList<string> ComputeOnlyParameters { get; } = ["Chunks", "SkipChunks", "BatchSize", "Threads", "ProcessOutput", "ParseSpecial", "NoPerplexity"];

    /// <summary>
    /// The problem with the given inputs, or null when they make a run; <paramref name="givenParameters"/> (the names
    /// bound) must not hold a computing-only parameter when there is no model.
    /// </summary>
    public static string? Problem(bool model, bool text, bool merge, bool output, IEnumerable<string> givenParameters)
    {
        ArgumentNullException.ThrowIfNull(givenParameters);
        return Problem(model, text, merge, output)
            ?? (model ? null : ComputeOnlyParameters.FirstOrDefault(givenParameters.Contains) is { } name ? MergeDoesNotTake(name) : null);
    }

    /// <summary>The problem with a computing-only parameter given to a merge.</summary>
    public static string MergeDoesNotTake(string parameter) =>
        $"-{parameter} applies to computing from a model and a text; merging alone takes -Merge, -OutputPath, -Format, -Context and -Statistics.";
}
