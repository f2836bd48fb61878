using System.Numerics.Tensors;
using GgufPs.Quantization;

namespace GgufPs.Inference;

/// <summary>Rounds activation rows to what ggml's dot products see for a weight type (see <see cref="ActivationFormat"/>).</summary>
internal static class ActivationRounding
{
    /// <summary>Writes the rounded copy of <paramref name="source"/> (whole rows of <paramref name="columns"/>) to <paramref name="destination"/>.</summary>
    public static void Round(ActivationFormat format, ReadOnlySpan<float> source, Span<float> destination, int columns)
    {
        switch (format)
        {
            case ActivationFormat.F32:
                source.CopyTo(destination);
                break;
            case ActivationFormat.F16:
                RoundToHalf(source, destination);
                break;
            case ActivationFormat.BF16:
                for (int i = 0; i < source.Length; i++)
                {
                    uint bits = BitConverter.SingleToUInt32Bits(source[i]);
                    destination[i] = BitConverter.UInt32BitsToSingle((uint)HalfPrecisionConverter.ToBF16(bits) << 16);
                }
                break;
            case ActivationFormat.Q8_0:
                RoundThroughBlocks(GgmlType.Q8_0, Q8_0BlockFormat.QuantizeActivations, source, destination, columns);
                break;
            case ActivationFormat.Q8_1:
                RoundThroughBlocks(GgmlType.Q8_1, Q8_1BlockFormat.QuantizeActivations, source, destination, columns);
                break;
            case ActivationFormat.Q8_K:
                RoundThroughBlocks(GgmlType.Q8_K, Q8_KBlockFormat.QuantizeActivations, source, destination, columns);
                break;
            default:
                throw new NotSupportedException($"Activations in {format} are not supported.");
        }
    }

    /// <summary>Quantizes each row as ggml-cpu quantizes activations and returns the values its blocks stand for.</summary>
    private static void RoundThroughBlocks(GgmlType type, QuantizeRow quantize, ReadOnlySpan<float> source, Span<float> destination, int columns)
    {
        var format = BlockFormats.Get(type);
        var blocks = new byte[format.RowBytes(columns)];
        for (int row = 0; row < source.Length / columns; row++)
        {
            quantize(source.Slice(row * columns, columns), blocks);
            format.Dequantize(blocks, destination.Slice(row * columns, columns));
        }
    }

    private delegate void QuantizeRow(ReadOnlySpan<float> source, Span<byte> destination);

    public static void RoundToHalf(ReadOnlySpan<float> source, Span<float> destination)
    {
        const int Chunk = 1024;
        Span<Half> halves = stackalloc Half[Chunk];
        for (int i = 0; i < source.Length; i += Chunk)
        {
            int n = Math.Min(Chunk, source.Length - i);
            TensorPrimitives.ConvertToHalf(source.Slice(i, n), halves[..n]);
            TensorPrimitives.ConvertToSingle(halves[..n], destination.Slice(i, n));
        }
    }
}
