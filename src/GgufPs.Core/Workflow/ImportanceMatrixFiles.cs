using GgufPs.Evaluation;

namespace GgufPs.Workflow;

/// <summary>How New-ImportanceMatrix names, formats and describes the importance matrices it writes.</summary>
public static class ImportanceMatrixFiles
{
    /// <summary>The legacy .dat format for a path ending in .dat, else GGUF (llama-imatrix's choice by extension).</summary>
    public static ImportanceMatrixFormat FormatOf(string path) =>
        path.EndsWith(".dat", StringComparison.OrdinalIgnoreCase) ? ImportanceMatrixFormat.Dat : ImportanceMatrixFormat.Gguf;

    /// <summary>
    /// model-f16.gguf → model-f16.imatrix.gguf (or .imatrix.dat) beside the model; a part of a split set is named
    /// after the set (model-f16-00002-of-00003.gguf → model-f16.imatrix.gguf), as the matrix covers all its parts.
    /// </summary>
    public static string DefaultPath(string modelPath, ImportanceMatrixFormat format)
    {
        string name = Path.GetFileName(GgufSplitNaming.TryParse(modelPath, out string prefix, out _, out _) ? prefix : modelPath);
        if (name.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase))
        {
            name = name[..^".gguf".Length];
        }
        string extension = format == ImportanceMatrixFormat.Dat ? ".imatrix.dat" : ".imatrix.gguf";
        return Path.Combine(Path.GetDirectoryName(Path.GetFullPath(modelPath))!, name + extension);
    }

    /// <summary>
    /// The file New-ImportanceMatrix writes and its format: <paramref name="outputPath"/>, else the default beside
    /// <paramref name="modelPath"/>; <paramref name="format"/>, else the file's by its extension.
    /// </summary>
    public static (string Path, ImportanceMatrixFormat Format) Output(string? outputPath, string? modelPath, ImportanceMatrixFormat? format)
    {
        string path = outputPath ?? DefaultPath(modelPath ?? throw new ArgumentNullException(nameof(modelPath), "Without an output path the matrix is named after the model."),
            format ?? ImportanceMatrixFormat.Gguf);
        return (path, format ?? FormatOf(path));
    }

    /// <summary>
    /// The description of a matrix just written to <paramref name="path"/>: computed from <paramref name="model"/>
    /// (with the perplexity measured on the way, if any) or, without a model, merged.
    /// </summary>
    public static ImportanceMatrixInfo Describe(string path, ImportanceMatrixFormat format, ImportanceMatrixAccumulator matrix,
        string? model, PerplexityResult? result, bool statistics)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        // The legacy format leaves out entries that saw no data.
        var entries = matrix.Entries().Where(e => format == ImportanceMatrixFormat.Gguf || e.Counts.Any(c => c != 0)).ToList();
        bool measured = result is not null && !double.IsNaN(result.Perplexity);
        return new ImportanceMatrixInfo(path, format, entries, matrix.ChunkCount, matrix.ChunkSize, matrix.Datasets)
        {
            Model = model,
            Perplexity = measured ? result!.Perplexity : null,
            StandardError = measured ? result!.StandardError : null,
            TokensPerSecond = result?.TokensPerSecond,
            Seconds = result?.Seconds,
            Completed = result?.Completed ?? model is null,
            Statistics = statistics ? ImportanceMatrixStatistics.Compute(entries, path) : null,
        };
    }
}
