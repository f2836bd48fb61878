namespace GgufPs.Conversion;

/// <summary>Where a source tensor's bytes are: a range of a memory-mapped input file, or values computed by the converter.</summary>
internal sealed class TensorSource
{
    private TensorSource(MemoryMappedInput? input, long offset, SafetensorsDataType dataType, long[] shape, float[]? values)
    {
        Input = input;
        Offset = offset;
        DataType = dataType;
        Shape = shape;
        Values = values;
    }

    public MemoryMappedInput? Input { get; }

    public long Offset { get; }

    public SafetensorsDataType DataType { get; }

    /// <summary>Outermost dimension first.</summary>
    public long[] Shape { get; }

    /// <summary>Values computed rather than read (such as llama3's rope_freqs).</summary>
    public float[]? Values { get; }

    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    public static TensorSource Mapped(MemoryMappedInput input, long offset, SafetensorsDataType dataType, long[] shape) =>
        new(input, offset, dataType, shape, null);

    public static TensorSource Computed(float[] values) => new(null, 0, SafetensorsDataType.F32, [values.Length], values);
}
