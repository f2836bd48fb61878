using GgufPs.Evaluation;
using GgufPs.Quantization;
using GgufPs.Workflow;

namespace GgufPs.Commands;

/// <summary>
/// The importance matrices piped to Invoke-Quantize (New-ImportanceMatrix's results), each read once however many
/// records pipe it, and quantizing the model each was computed from.
/// </summary>
internal sealed class PipedImportanceMatrices
{
    private readonly Dictionary<string, ImportanceMatrix> _read = new(FileSystemPath.Comparer);

    /// <summary>
    /// The matrix of <paramref name="piped"/>; false when it cannot be used (reported: it names no model, or cannot be
    /// read). A matrix also given with -ImportanceMatrix (<paramref name="alsoGiven"/>) ends the command.
    /// </summary>
    public bool TryRead(LongRunningCommand cmdlet, ImportanceMatrixInfo piped, bool alsoGiven, out ImportanceMatrix? matrix)
    {
        matrix = null;
        if (alsoGiven)
        {
            cmdlet.ThrowTerminatingError(ErrorCatalog.InvalidArgument("TwoImportanceMatrices", $"The importance matrix '{piped.Path}' came from the pipeline; -ImportanceMatrix gives another. Use one.", piped));
        }
        if (piped.Model is null)
        {
            cmdlet.WriteError(ErrorCatalog.InvalidArgument("NoModel", $"The importance matrix '{piped.Path}' does not say which model it was computed from; give the model with -Path and the matrix with -ImportanceMatrix.", piped));
            return false;
        }
        try
        {
            matrix = _read.TryGetValue(piped.Path, out var cached) ? cached : _read[piped.Path] = ImportanceMatrixParameter.LoadDescribed(cmdlet, piped.Path, null);
            return true;
        }
        catch (Exception ex) when (ErrorCatalog.Covers(ex))
        {
            cmdlet.WriteCoreError(ex, piped.Path);
            return false;
        }
    }
}
