using GgufPs.Evaluation;
using GgufPs.Quantization;

namespace GgufPs.Workflow;

/// <summary>The starting matrices of New-ImportanceMatrix: a merge of existing ones, or a computation added to them.</summary>
public static class ImportanceMatrixAccumulators
{
    /// <summary>
    /// The merge of <paramref name="inputs"/>. Without a text the chunk size only turns counts into chunks: the given
    /// <paramref name="context"/>, else the first GGUF input's, else <paramref name="defaultContext"/>.
    /// </summary>
    public static ImportanceMatrixAccumulator Merge(IReadOnlyList<ImportanceMatrix> inputs, int? context, int defaultContext)
    {
        var matrix = new ImportanceMatrixAccumulator(context ?? inputs.Select(m => m.ChunkSize).FirstOrDefault(s => s > 0, defaultContext));
        foreach (var input in inputs)
        {
            matrix.Add(input);
        }
        return matrix;
    }

    /// <summary>The matrix a computation over <paramref name="datasetPath"/> (null for a text given inline) adds to, holding <paramref name="merged"/>.</summary>
    public static ImportanceMatrixAccumulator ForComputing(string modelPath, IReadOnlyList<ImportanceMatrix> merged, int context, int threads, bool processOutput, string? datasetPath)
    {
        var matrix = new ImportanceMatrixAccumulator(context, threads) { ProcessOutput = processOutput };
        if (merged.Count > 0)
        {
            using var file = GgufFile.Open(modelPath);
            foreach (var input in merged)
            {
                matrix.Add(input, file);
            }
        }
        if (datasetPath is not null)
        {
            matrix.AddDataset(datasetPath);
        }
        return matrix;
    }
}
