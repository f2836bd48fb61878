namespace GgufPs.Conversion;

/// <summary>One tensor of a conversion plan: where it comes from, what it is called in the GGUF, and its types and shapes.</summary>
public sealed class PlannedTensor
{
    internal PlannedTensor(string sourceName, string name, TensorSource source, GgmlType type, TensorTransform transform = TensorTransform.None, int ropeHeads = 0,
        WeightScale? scale = null)
    {
        Scale = scale;
        SourceName = sourceName;
        Name = name;
        Source = source;
        Type = type;
        Transform = transform;
        RopeHeads = ropeHeads;
        long[] shape = source.Shape.Length == 0 ? [1] : source.Shape;
        if (transform == TensorTransform.Transpose)
        {
            if (shape.Length != 2)
            {
                throw new ArgumentException($"Only 2-D tensors can be transposed; '{sourceName}' has {shape.Length} dimensions.");
            }
            shape = [shape[1], shape[0]];
        }
        if (transform == TensorTransform.RopePermute && (ropeHeads <= 0 || shape[0] % (2L * ropeHeads) != 0))
        {
            throw new ModelFormatException(source.Input?.Path ?? sourceName,
                $"tensor '{sourceName}' has {shape[0]} rows, which cannot be split into {ropeHeads} RoPE heads of even size");
        }
        // ggml lists dimensions innermost first.
        Shape = shape.Reverse().ToArray();
        Descriptor = new GgufTensorDescriptor(name, type, Shape);
    }

    /// <summary>The tensor's name in the source (Hugging Face or llama2.c).</summary>
    public string SourceName { get; }

    /// <summary>The GGUF tensor name (blk.0.attn_q.weight).</summary>
    public string Name { get; }

    internal TensorSource Source { get; }

    public string SourceType => Source.Values is not null ? "F32" : Scale is null ? Source.DataType.ToString() : $"{Source.DataType}*scale";

    /// <summary>The scale a quantized checkpoint's weight is multiplied by; null for ordinary weights.</summary>
    internal WeightScale? Scale { get; }

    public GgmlType Type { get; }

    /// <summary>ggml order: the row length first.</summary>
    public long[] Shape { get; }

    public TensorTransform Transform { get; }

    /// <summary>Heads for <see cref="TensorTransform.RopePermute"/>.</summary>
    public int RopeHeads { get; }

    public long ElementCount => Descriptor.ElementCount;

    public long ByteSize => Descriptor.ByteSize;

    public GgufTensorDescriptor Descriptor { get; }

    public override string ToString() => $"{SourceName} -> {Name} [{string.Join(", ", Shape)}] {SourceType} -> {Type}";
}
