namespace GgufPs;

/// <summary>One tensor's entry in a GGUF file: name, type, shape (ggml order, ne0 first) and where its data lies.</summary>
public sealed class GgufTensorInfo
{
    internal GgufTensorInfo(string name, GgmlType type, long[] shape, long elementCount, long byteSize, long offset, long fileOffset)
    {
        Name = name;
        Type = type;
        Shape = shape;
        ElementCount = elementCount;
        ByteSize = byteSize;
        Offset = offset;
        FileOffset = fileOffset;
    }

    public string Name { get; }

    public GgmlType Type { get; }

    /// <summary>The type's name (Q4_K, F16), or Unknown(id) for a type this build does not know.</summary>
    public string TypeName => GgmlTypeInfo.Get(Type).Name;

    /// <summary>Dimensions in ggml order: Shape[0] is the row length.</summary>
    public long[] Shape { get; }

    public long ElementCount { get; }

    /// <summary>Bytes of tensor data; 0 when the type is unknown.</summary>
    public long ByteSize { get; }

    /// <summary>Offset of the data from the start of the data section, as stored in the file.</summary>
    public long Offset { get; }

    /// <summary>Offset of the data from the start of its file (<see cref="FilePath"/>).</summary>
    public long FileOffset { get; }

    /// <summary>The split.no of the file that holds the data: 0 for a single file and the first part of a set.</summary>
    public int SplitIndex { get; private set; }

    /// <summary>The file that holds the data, which <see cref="FileOffset"/> is an offset in.</summary>
    public string FilePath { get; private set; } = "";

    public double BitsPerWeight => ElementCount == 0 || ByteSize == 0 ? double.NaN : ByteSize * 8.0 / ElementCount;

    public long RowLength => Shape.Length == 0 ? 1 : Shape[0];

    public long RowCount => RowLength == 0 ? 0 : ElementCount / RowLength;

    internal void SetPart(int splitIndex, string filePath)
    {
        SplitIndex = splitIndex;
        FilePath = filePath;
    }

    public override string ToString() => $"{Name} {TypeName} [{string.Join(", ", Shape)}]";
}
