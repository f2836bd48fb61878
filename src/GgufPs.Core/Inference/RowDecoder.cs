using GgufPs.Quantization;

namespace GgufPs.Inference;

/// <summary>Turns a tensor type's blocks into floats exactly as ggml's to_float does, and says how activations meet it.</summary>
internal sealed class RowDecoder
{
    private readonly BlockFormat _format;

    private RowDecoder(BlockFormat format, ActivationFormat activationFormat)
    {
        _format = format;
        BlockSize = format.BlockSize;
        BlockBytes = format.BlockBytes;
        ActivationFormat = activationFormat;
    }

    public int BlockSize { get; }

    public int BlockBytes { get; }

    public ActivationFormat ActivationFormat { get; }

    /// <summary>Decodes destination.Length values; the source holds whole blocks covering them.</summary>
    public void Decode(ReadOnlySpan<byte> source, Span<float> destination) => _format.Dequantize(source, destination);

    public static RowDecoder For(GgmlType type, string tensorName)
    {
        if (!BlockFormats.TryGet(type, out var format) || !format.IsTensorFormat)
        {
            throw new NotSupportedException($"Tensor '{tensorName}' has type {GgmlTypeInfo.Get(type).Name}, which inference does not support.");
        }
        var activation = format.VectorDotType switch
        {
            GgmlType.F32 => ActivationFormat.F32,
            GgmlType.F16 => ActivationFormat.F16,
            GgmlType.BF16 => ActivationFormat.BF16,
            GgmlType.Q8_0 => ActivationFormat.Q8_0,
            GgmlType.Q8_1 => ActivationFormat.Q8_1,
            GgmlType.Q8_K => ActivationFormat.Q8_K,
            var other => throw new NotSupportedException($"Tensor '{tensorName}' needs activations in {GgmlTypeInfo.Get(other).Name}, which inference does not support."),
        };
        return new RowDecoder(format, activation);
    }
}
