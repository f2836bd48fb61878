namespace GgufPs.Quantization;

/// <summary>
/// One tensor's raw importance statistics as llama-imatrix keeps them: for each of its matrices (one, or one per
/// expert), the sums of the squared activations of every input column and how many activation rows went into them.
/// </summary>
public sealed class ImportanceMatrixEntry
{
    public ImportanceMatrixEntry(string name, float[] sums, long[] counts)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (counts.Length == 0 || sums.Length == 0 || sums.Length % counts.Length != 0)
        {
            throw new InvalidDataException($"Importance matrix entry '{name}' has {sums.Length} sums for {counts.Length} counts; the sums must be whole rows, one per count.");
        }
        Name = name;
        Sums = sums;
        Counts = counts;
    }

    /// <summary>The weight tensor's GGUF name (blk.0.ffn_up.weight).</summary>
    public string Name { get; }

    /// <summary>Σ x² per input column, <see cref="Matrices"/> rows of <see cref="Columns"/>.</summary>
    public float[] Sums { get; }

    /// <summary>Activation rows summed, per matrix.</summary>
    public long[] Counts { get; }

    public int Matrices => Counts.Length;

    public int Columns => Sums.Length / Counts.Length;

    public override string ToString() => $"{Name} [{Columns} x {Matrices}]";
}
