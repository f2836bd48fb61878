using GgufPs.Quantization;

namespace GgufPs.Inference;

/// <summary>Turns a tensor type's blocks into floats exactly as ggml's to_float does, and says how activations meet it.</summary>
internal sealed class RowDecoder
{
    private readonly Action<ReadOnlySpan<byte>, Span<float>> _decode;

    private RowDecoder(int blockSize, int blockBytes, ActivationFormat activationFormat, Action<ReadOnlySpan<byte>, Span<float>> decode)
    {
        BlockSize = blockSize;
        BlockBytes = blockBytes;
        ActivationFormat = activationFormat;
        _decode = decode;
    }

    public int BlockSize { get; }

    public int BlockBytes { get; }

    public ActivationFormat ActivationFormat { get; }

    /// <summary>Decodes destination.Length values; the source holds whole blocks covering them.</summary>
    public void Decode(ReadOnlySpan<byte> source, Span<float> destination) => _decode(source, destination);

    public static RowDecoder For(GgmlType type, string tensorName) => type switch
    {
        GgmlType.F32 => new RowDecoder(1, 4, ActivationFormat.F32,
            (s, d) => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(s)[..d.Length].CopyTo(d)),
        GgmlType.F16 => new RowDecoder(1, 2, ActivationFormat.F16, (s, d) => HalfPrecisionConverter.FromF16(s[..(d.Length * 2)], d)),
        GgmlType.BF16 => new RowDecoder(1, 2, ActivationFormat.BF16, (s, d) => HalfPrecisionConverter.FromBF16(s[..(d.Length * 2)], d)),
        _ => throw new NotSupportedException($"Tensor '{tensorName}' has type {GgmlTypeInfo.Get(type).Name}, which inference does not support yet."),
    };
}
