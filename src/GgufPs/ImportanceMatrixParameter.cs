using System.Management.Automation;
using GgufPs.Quantization;
using GgufPs.Workflow;

namespace GgufPs.Commands;

/// <summary>
/// Importance matrices given as parameters: the -ImportanceMatrix of the quantizing cmdlets, loaded once before the
/// first record (a matrix that cannot be read ends the command, since every file would be quantized without it), and
/// New-ImportanceMatrix's -Merge.
/// </summary>
internal static class ImportanceMatrixParameter
{
    /// <summary>Null when <paramref name="given"/> is; <paramref name="describe"/> writes what was read to the verbose stream.</summary>
    public static ImportanceMatrix? Load(PSCmdlet cmdlet, string? given, bool describe)
    {
        if (given is null)
        {
            return null;
        }
        string path = FileSystemPathResolver.ResolveOutput(cmdlet, given);
        try
        {
            return describe ? LoadDescribed(cmdlet, path, given) : ImportanceMatrix.Load(path, given);
        }
        catch (Exception ex) when (ErrorCatalog.Covers(ex))
        {
            cmdlet.ThrowTerminatingError(ErrorCatalog.Record(ex, path));
            throw; // Not reached: ThrowTerminatingError throws.
        }
    }

    /// <summary>Loads a matrix, writing its path before and its size and datasets after to the verbose stream.</summary>
    public static ImportanceMatrix LoadDescribed(Cmdlet cmdlet, string path, string? givenAs)
    {
        cmdlet.WriteVerbose($"Reading importance matrix '{path}'.");
        var matrix = ImportanceMatrix.Load(path, givenAs);
        cmdlet.WriteVerbose($"Importance matrix: {matrix.Count} entries, {matrix.ChunkCount} chunks, datasets: {string.Join(", ", matrix.Datasets)}.");
        return matrix;
    }

    /// <summary>
    /// The matrices of -Merge (wildcards allowed), the model excluded; null when <paramref name="patterns"/> found none
    /// or one could not be read (reported), as merging the rest would silently drop it.
    /// </summary>
    public static IReadOnlyList<ImportanceMatrix>? LoadMerge(LongRunningCommand cmdlet, string[] patterns, string? model)
    {
        string? reading = null;
        try
        {
            var merged = ImportanceMatrixMergeInputs.Load(FileSystemPathResolver.ResolveExistingFiles(cmdlet, patterns, literal: false), model,
                path => cmdlet.WriteVerbose($"Reading importance matrix '{reading = path}'."));
            return merged.Count == 0 && patterns.Length > 0 ? null : merged;
        }
        catch (Exception ex) when (ErrorCatalog.Covers(ex))
        {
            cmdlet.WriteCoreError(ex, reading);
            return null;
        }
    }
}
