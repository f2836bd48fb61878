namespace GgufPs.Quantization;

/// <summary>
/// One ggml tensor storage format: how rows of floats become blocks of bytes and back. Quantize gives the bytes
/// ggml_quantize_chunk gives for the same rows; Dequantize gives the floats ggml's dequantize_row (to_float) gives.
/// Instances are stateless and safe to use from many threads at once. Get them from <see cref="BlockFormats"/>.
/// </summary>
public abstract class BlockFormat
{
    private protected BlockFormat(GgmlType type, GgmlType vectorDotType)
    {
        var info = GgmlTypeInfo.Get(type);
        Type = type;
        BlockSize = info.BlockSize;
        BlockBytes = info.TypeSize;
        VectorDotType = vectorDotType;
    }

    public GgmlType Type { get; }

    /// <summary>Elements per block (1 for F32/F16/BF16, 32 or 256 for quantized formats).</summary>
    public int BlockSize { get; }

    /// <summary>Bytes per block.</summary>
    public int BlockBytes { get; }

    /// <summary>
    /// The format ggml's CPU backend quantizes activations to before a dot product with this format (ggml-cpu's
    /// vec_dot_type): Q8_0 for Q4_0, Q8_1 for Q4_1, Q8_K for the K-quants, and so on.
    /// </summary>
    internal GgmlType VectorDotType { get; }

    /// <summary>True when importance weights change the result (ggml ignores them for Q8_0, the F types and TQ*).</summary>
    public virtual bool UsesImportance => false;

    /// <summary>True when ggml refuses to quantize to this format without importance weights (ggml_quantize_requires_imatrix).</summary>
    public virtual bool RequiresImportance => false;

    /// <summary>False for formats that only serve as activation formats and that ggml_quantize_chunk does not write (Q8_1, Q8_K).</summary>
    public virtual bool IsTensorFormat => true;

    /// <summary>Bytes of one row of <paramref name="rowLength"/> elements.</summary>
    public long RowBytes(long rowLength)
    {
        if (rowLength < 0 || rowLength % BlockSize != 0)
        {
            throw new ArgumentException($"A {Type} row must be a multiple of {BlockSize} elements; {rowLength} is not.", nameof(rowLength));
        }
        return rowLength / BlockSize * BlockBytes;
    }

    /// <summary>
    /// Quantizes <paramref name="rowCount"/> rows of <paramref name="rowLength"/> floats into <paramref name="destination"/>,
    /// as ggml_quantize_chunk does. <paramref name="importance"/> holds one weight per column (rowLength values) or is
    /// empty for none.
    /// </summary>
    public void Quantize(ReadOnlySpan<float> source, int rowCount, int rowLength, Span<byte> destination, ReadOnlySpan<float> importance = default)
    {
        long rowBytes = RowBytes(rowLength);
        if (rowCount < 0 || (long)rowCount * rowLength > source.Length)
        {
            throw new ArgumentException($"The source holds {source.Length} floats, fewer than {rowCount} rows of {rowLength}.", nameof(source));
        }
        if (rowBytes * rowCount > destination.Length)
        {
            throw new ArgumentException($"The destination holds {destination.Length} bytes; {rowCount} rows of {Type} need {rowBytes * rowCount}.", nameof(destination));
        }
        if (!importance.IsEmpty && importance.Length != rowLength)
        {
            throw new ArgumentException($"Importance weights must have one value per column ({rowLength}); got {importance.Length}.", nameof(importance));
        }
        if (importance.IsEmpty && RequiresImportance)
        {
            throw new ArgumentException($"{Type} needs importance weights (an importance matrix).", nameof(importance));
        }
        QuantizeRows(source[..(rowCount * rowLength)], rowCount, rowLength, destination[..(int)(rowBytes * rowCount)], importance);
    }

    /// <summary>
    /// Turns the blocks in <paramref name="source"/> back into <paramref name="destination"/>.Length floats, which
    /// must be a whole number of blocks.
    /// </summary>
    public void Dequantize(ReadOnlySpan<byte> source, Span<float> destination)
    {
        long needed = RowBytes(destination.Length);
        if (source.Length < needed)
        {
            throw new ArgumentException($"{destination.Length} {Type} values take {needed} bytes; the source has {source.Length}.", nameof(source));
        }
        DequantizeBlocks(source[..(int)needed], destination);
    }

    /// <summary>Whole rows; the arguments are already checked. Formats with a multi-row (SIMD) path override this.</summary>
    private protected virtual void QuantizeRows(ReadOnlySpan<float> source, int rowCount, int rowLength, Span<byte> destination, ReadOnlySpan<float> importance)
    {
        int bytes = destination.Length / Math.Max(rowCount, 1);
        for (int row = 0; row < rowCount; row++)
        {
            QuantizeRow(source.Slice(row * rowLength, rowLength), destination.Slice(row * bytes, bytes), importance);
        }
    }

    /// <summary>One row; the arguments are already checked. <paramref name="importance"/> may be empty.</summary>
    private protected abstract void QuantizeRow(ReadOnlySpan<float> row, Span<byte> destination, ReadOnlySpan<float> importance);

    /// <summary>Whole blocks; the lengths are already checked.</summary>
    private protected abstract void DequantizeBlocks(ReadOnlySpan<byte> source, Span<float> destination);

    public override string ToString() => Type.ToString();
}
