namespace GgufPs.Inference;

/// <summary>
/// A 2-D weight tensor read in place from the memory-mapped file: <see cref="Rows"/> output features of
/// <see cref="Columns"/> inputs each, in the tensor's own block format. Nothing is copied or dequantized up front;
/// kernels decode the slices they work on.
/// </summary>
internal sealed unsafe class WeightMatrix
{
    private readonly byte* _data;
    private readonly bool _fast;

    public WeightMatrix(GgufFile file, GgufTensorInfo tensor)
    {
        if (tensor.Shape.Length is < 1 or > 2 && !(tensor.Shape.Length > 2 && tensor.Shape.Skip(2).All(d => d == 1)))
        {
            throw new InvalidDataException($"Tensor '{tensor.Name}' has {tensor.Shape.Length} dimensions; a matrix was expected.");
        }
        Name = tensor.Name;
        Type = tensor.Type;
        Columns = checked((int)tensor.RowLength);
        Rows = checked((int)tensor.RowCount);
        RowBytes = GgmlTypeInfo.Get(tensor.Type).RowSize(tensor.RowLength);
        Decoder = RowDecoder.For(tensor.Type, tensor.Name);
        if (Columns % Decoder.BlockSize != 0)
        {
            throw new InvalidDataException($"Tensor '{tensor.Name}' has rows of {Columns}, not a multiple of its {tensor.TypeName} block size {Decoder.BlockSize}.");
        }
        // Validates that the whole tensor lies inside its file before any kernel reads it.
        _data = file.TensorPointer(tensor);
        _fast = FastDequantizer.Handles(tensor.Type);
        string role = Name.EndsWith(".weight", StringComparison.Ordinal) ? Name[..^".weight".Length] : Name;
        if (role.StartsWith("blk.", StringComparison.Ordinal) && role.IndexOf('.', 4) is int dot and > 4)
        {
            role = role[(dot + 1)..];
        }
        ProfileStage = $"{role} {tensor.TypeName}";
    }

    public string Name { get; }

    /// <summary>This product's stage in an <see cref="InferenceProfile"/>: the tensor's role in any block and its type ("ffn_up Q4_K").</summary>
    public string ProfileStage { get; }

    public GgmlType Type { get; }

    public int Rows { get; }

    public int Columns { get; }

    public long RowBytes { get; }

    public RowDecoder Decoder { get; }

    public ActivationFormat ActivationFormat => Decoder.ActivationFormat;

    public byte* RowPointer(int row) => _data + row * RowBytes;

    /// <summary>Decodes columns [<paramref name="start"/>, start + destination.Length) of a row; start must be block-aligned.</summary>
    public void DecodeRow(int row, int start, Span<float> destination)
    {
        if (_fast && destination.Length % Decoder.BlockSize == 0)
        {
            fixed (float* y = destination)
            {
                FastDequantizer.Decode(Type, RowPointer(row) + (long)(start / Decoder.BlockSize) * Decoder.BlockBytes, y, destination.Length);
            }
            return;
        }
        int blockSize = Decoder.BlockSize;
        int blockBytes = Decoder.BlockBytes;
        var source = new ReadOnlySpan<byte>(RowPointer(row) + (long)(start / blockSize) * blockBytes,
            (destination.Length + blockSize - 1) / blockSize * blockBytes);
        Decoder.Decode(source, destination);
    }
}
