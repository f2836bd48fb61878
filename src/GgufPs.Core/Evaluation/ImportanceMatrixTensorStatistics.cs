namespace GgufPs;

/// <summary>
/// One row of llama-imatrix --show-statistics: the distribution of a tensor's mean squared input activations
/// (one value per input column and matrix).
/// </summary>
public sealed class ImportanceMatrixTensorStatistics
{
    /// <summary>The importance matrix file, when the statistics come from one.</summary>
    public string? ImportanceMatrix { get; init; }

    /// <summary>The full tensor name (blk.3.ffn_down.weight).</summary>
    public required string Name { get; init; }

    /// <summary>The block number, or -1 for tensors outside the blocks (output.weight).</summary>
    public required int Layer { get; init; }

    /// <summary>The short tensor name (ffn_down), as llama-imatrix prints it.</summary>
    public required string Tensor { get; init; }

    /// <summary>Σ(Act²): the sum over columns of the mean squared activation.</summary>
    public required float SumOfSquares { get; init; }

    public required float Minimum { get; init; }

    public required float Maximum { get; init; }

    /// <summary>μ: the mean over columns of the mean squared activation.</summary>
    public required float Mean { get; init; }

    /// <summary>σ: their standard deviation.</summary>
    public required float StandardDeviation { get; init; }

    /// <summary>% Active: columns whose mean squared activation exceeds 1e-5.</summary>
    public required float ActivePercent { get; init; }

    /// <summary>N: columns (times matrices) counted.</summary>
    public required int Elements { get; init; }

    /// <summary>Shannon entropy (bits) of the columns' shares of Σ(Act²).</summary>
    public required float Entropy { get; init; }

    /// <summary>E (norm): the entropy as a percentage of its maximum, log2 N.</summary>
    public required float NormalizedEntropyPercent { get; init; }

    /// <summary>ZD: the percentage of columns more than one standard deviation above the mean.</summary>
    public required float ZdPercent { get; init; }

    /// <summary>CosSim: cosine similarity of the sums with the same tensor of the previous block (0 for the first).</summary>
    public required float CosineSimilarity { get; init; }

    public override string ToString() => $"{Name}: Σ(Act²) {SumOfSquares:G6}, μ {Mean:G6}, σ {StandardDeviation:G6}";
}
