using GgufPs.Evaluation;
using GgufPs.Inference;
using GgufPs.Quantization;

namespace GgufPs.Workflow;

/// <summary>
/// One computation of New-ImportanceMatrix: the matrix it adds to (holding the merged inputs), the run over the text,
/// and what is kept of it when it ends or stops (see <see cref="ImportanceMatrixStopPolicy"/>).
/// </summary>
public sealed class ImportanceMatrixJob
{
    private readonly string _modelPath;
    private readonly string _outputPath;
    private readonly ImportanceMatrixFormat _format;
    private readonly ImportanceMatrixOptions _options;

    private ImportanceMatrixJob(string modelPath, string outputPath, ImportanceMatrixFormat format, ImportanceMatrixOptions options, ImportanceMatrixAccumulator matrix)
    {
        _modelPath = modelPath;
        _outputPath = outputPath;
        _format = format;
        _options = options;
        Matrix = matrix;
    }

    public ImportanceMatrixAccumulator Matrix { get; }

    /// <summary>
    /// Prepares computing the matrix of <paramref name="modelPath"/> into <paramref name="outputPath"/>, starting from
    /// <paramref name="merged"/>; <paramref name="datasetPath"/> is the text file recorded in the matrix (null for a text given inline).
    /// </summary>
    public static ImportanceMatrixJob Create(string modelPath, string outputPath, ImportanceMatrixFormat format, IReadOnlyList<ImportanceMatrix> merged,
        ImportanceMatrixOptions options, bool processOutput, string? datasetPath)
    {
        ArgumentNullException.ThrowIfNull(options);
        var matrix = ImportanceMatrixAccumulators.ForComputing(modelPath, merged, options.Context, options.Threads, processOutput, datasetPath);
        return new ImportanceMatrixJob(modelPath, outputPath, format, options, matrix);
    }

    /// <summary>Runs the model over <paramref name="text"/>, adding to <see cref="Matrix"/>; the perplexity measured on the way, if asked for.</summary>
    public PerplexityResult Run(ReadOnlySpan<byte> text, Action<string>? warning, IProgress<PerplexityProgress>? progress, CancellationToken cancel)
    {
        using var model = TransformerModel.Open(_modelPath);
        return new ImportanceMatrixComputer(model, _options) { Warning = warning }.Compute(text, Matrix, progress, cancel);
    }

    /// <summary>Whether a stopped run's matrix is saved (<see cref="SavePartial"/>).</summary>
    public bool KeepsPartial(bool force) => ImportanceMatrixStopPolicy.KeepsPartial(force, Matrix.ChunkCount);

    /// <summary>Saves what a stopped run computed, replacing the output (a stop is kept only with -Force).</summary>
    public void SavePartial() => Matrix.Save(_outputPath, _format, overwrite: true);

    /// <summary>
    /// Saves the matrix when it is kept and describes it (null when nothing was written); <paramref name="warning"/>
    /// hears why a run that stopped early kept what it did.
    /// </summary>
    /// <param name="result">The run's result, or null when it stopped before the first chunk was finished.</param>
    public ImportanceMatrixInfo? Conclude(PerplexityResult? result, bool force, bool statistics, Action<string> warning)
    {
        ArgumentNullException.ThrowIfNull(warning);
        var (info, stopped) = ImportanceMatrixStopPolicy.Conclude(result, Matrix, _outputPath, _format, force, _modelPath, statistics);
        if (stopped is not null)
        {
            warning(stopped);
        }
        return info;
    }
}
