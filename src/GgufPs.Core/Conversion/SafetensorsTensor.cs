namespace GgufPs.Conversion;

/// <summary>One tensor named in a safetensors header: its type, its shape (outermost dimension first) and where its bytes are.</summary>
internal sealed class SafetensorsTensor
{
    internal SafetensorsTensor(SafetensorsFile file, string name, SafetensorsDataType dataType, long[] shape, long dataOffset, long byteLength)
    {
        File = file;
        Name = name;
        DataType = dataType;
        Shape = shape;
        DataOffset = dataOffset;
        ByteLength = byteLength;
        long count = 1;
        foreach (long d in shape)
        {
            count *= d;
        }
        ElementCount = count;
    }

    public SafetensorsFile File { get; }

    public string Name { get; }

    public SafetensorsDataType DataType { get; }

    /// <summary>PyTorch order: the outermost dimension first, the contiguous one last.</summary>
    public long[] Shape { get; }

    public long ElementCount { get; }

    /// <summary>Offset of the first byte in the file.</summary>
    public long DataOffset { get; }

    public long ByteLength { get; }

    public override string ToString() => $"{Name} {DataType} [{string.Join(", ", Shape)}]";
}
