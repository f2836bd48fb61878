namespace GgufPs;

/// <summary>A tensor to be written: name, type and shape (ggml order). Its byte size follows from the type.</summary>
public sealed class GgufTensorDescriptor
{
    public GgufTensorDescriptor(string name, GgmlType type, IReadOnlyList<long> shape)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (System.Text.Encoding.UTF8.GetByteCount(name) > GgufLayout.MaxTensorNameBytes)
        {
            throw new ArgumentException($"Tensor name '{name}' is longer than llama.cpp's {GgufLayout.MaxTensorNameBytes}-byte limit.", nameof(name));
        }
        if (shape.Count > GgufLayout.MaxDimensions)
        {
            throw new ArgumentException($"Tensor '{name}' has {shape.Count} dimensions; GGUF allows {GgufLayout.MaxDimensions}.", nameof(shape));
        }
        var info = GgmlTypeInfo.Get(type);
        if (!info.IsKnown)
        {
            throw new ArgumentException($"Tensor '{name}' has type {info.Name}, which cannot be written.", nameof(type));
        }
        long elements = 1;
        foreach (long ne in shape)
        {
            if (ne < 0 || (ne != 0 && elements > long.MaxValue / ne))
            {
                throw new ArgumentException($"Tensor '{name}' has an invalid shape.", nameof(shape));
            }
            elements *= ne;
        }
        long rowLength = shape.Count == 0 ? 1 : shape[0];
        if (rowLength % info.BlockSize != 0)
        {
            throw new ArgumentException($"Tensor '{name}' has rows of {rowLength}, not a multiple of {info.Name}'s block size {info.BlockSize}.", nameof(shape));
        }
        Name = name;
        Type = type;
        Shape = shape.ToArray();
        ElementCount = elements;
        ByteSize = info.ByteCount(elements);
    }

    public string Name { get; }

    public GgmlType Type { get; }

    public long[] Shape { get; }

    public long ElementCount { get; }

    public long ByteSize { get; }

    /// <summary>Describes an existing tensor unchanged, for copies.</summary>
    public static GgufTensorDescriptor From(GgufTensorInfo tensor) => new(tensor.Name, tensor.Type, tensor.Shape);
}
