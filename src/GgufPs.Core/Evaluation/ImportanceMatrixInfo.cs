using GgufPs.Evaluation;
using GgufPs.Quantization;

namespace GgufPs;

/// <summary>
/// An importance matrix file as New-ImportanceMatrix writes it and Get-ImportanceMatrix reads it: where it is, what
/// it covers, and, when it was just computed, the model it came from and the perplexity measured on the way.
/// </summary>
public sealed class ImportanceMatrixInfo
{
    private readonly IReadOnlyList<ImportanceMatrixEntry> _entries;

    public ImportanceMatrixInfo(string path, ImportanceMatrixFormat format, IReadOnlyList<ImportanceMatrixEntry> entries,
        int chunks, int chunkSize, IReadOnlyList<string> datasets)
    {
        Path = path;
        Format = format;
        _entries = entries;
        Chunks = chunks;
        ChunkSize = chunkSize;
        Datasets = datasets.ToArray();
    }

    /// <summary>The importance matrix file.</summary>
    public string Path { get; }

    public string FileName => System.IO.Path.GetFileName(Path);

    public ImportanceMatrixFormat Format { get; }

    /// <summary>Tensors with data.</summary>
    public int Entries => _entries.Count;

    /// <summary>Chunks of text the data amounts to (imatrix.chunk_count).</summary>
    public int Chunks { get; }

    /// <summary>Tokens per chunk (imatrix.chunk_size); 0 when the file does not say (legacy .dat).</summary>
    public int ChunkSize { get; }

    /// <summary>The text files it was computed on, merged files' first (imatrix.datasets).</summary>
    public string[] Datasets { get; }

    /// <summary>The first dataset: what llama-quantize records as quantize.imatrix.dataset.</summary>
    public string? Dataset => Datasets.Length > 0 ? Datasets[0] : null;

    /// <summary>The model it was computed from; null for a file read back, which does not record it.</summary>
    public string? Model { get; init; }

    /// <summary>The perplexity of the text measured while computing it; null when not measured.</summary>
    public double? Perplexity { get; init; }

    /// <summary>llama.cpp's ± of that perplexity.</summary>
    public double? StandardError { get; init; }

    /// <summary>Tokens evaluated per second while computing it.</summary>
    public double? TokensPerSecond { get; init; }

    public double? Seconds { get; init; }

    /// <summary>False when the computation was stopped and the file holds the chunks finished until then.</summary>
    public bool Completed { get; init; } = true;

    /// <summary>The tensor names in order.</summary>
    public IEnumerable<string> TensorNames => _entries.Select(e => e.Name);

    /// <summary>Per-tensor statistics, when asked for (New-ImportanceMatrix -Statistics); see <see cref="ComputeStatistics"/>.</summary>
    public IReadOnlyList<ImportanceMatrixTensorStatistics>? Statistics { get; init; }

    /// <summary>Per-tensor statistics as llama-imatrix --show-statistics computes and orders them.</summary>
    public IReadOnlyList<ImportanceMatrixTensorStatistics> ComputeStatistics() => ImportanceMatrixStatistics.Compute(_entries, Path);

    /// <summary>Describes a matrix read from <paramref name="path"/>.</summary>
    public static ImportanceMatrixInfo FromFile(ImportanceMatrix matrix, string path) =>
        new(path, matrix.IsLegacy ? ImportanceMatrixFormat.Dat : ImportanceMatrixFormat.Gguf, matrix.Entries.ToList(),
            matrix.ChunkCount, matrix.ChunkSize, matrix.Datasets);

    public override string ToString() => $"{Path} ({Entries} entries, {Chunks} chunks)";
}
