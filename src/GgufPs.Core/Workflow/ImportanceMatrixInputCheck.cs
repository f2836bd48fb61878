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

    /// <summary>The problem with a computing-only parameter given to a merge.</summary>
    public static string MergeDoesNotTake(string parameter) =>
        $"-{parameter} applies to computing from a model and a text; merging alone takes -Merge, -OutputPath, -Format, -Context and -Statistics.";
}
