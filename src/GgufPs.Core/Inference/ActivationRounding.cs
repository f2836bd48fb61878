using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using GgufPs.Quantization;

namespace GgufPs.Inference;

/// <summary>Rounds activation rows to what ggml's dot products see for a weight type (see <see cref="ActivationFormat"/>).</summary>
internal static class ActivationRounding
{
    /// <summary>Writes the rounded copy of <paramref name="source"/> (whole rows of <paramref name="columns"/>) to <paramref name="destination"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
                RoundQ8_0(source, destination);
                break;
            case ActivationFormat.Q8_1:
                RoundThroughBlocks(GgmlType.Q8_1, Q8_1BlockFormat.QuantizeActivations, source, destination, columns);
                break;
            case ActivationFormat.Q8_K:
                RoundQ8_K(source, destination);
                break;
            default:
                throw new NotSupportedException($"Activations in {format} are not supported.");
        }
    }

    /// <summary>
    /// What ggml-cpu's x86 quantize_row_q8_0 leaves of each block of 32 after dequantizing: d = amax/127 stored as
    /// F16, values rounded half to even after scaling by 127/amax.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RoundQ8_0(ReadOnlySpan<float> source, Span<float> destination)
    {
        for (int b = 0; b < source.Length; b += 32)
        {
            var x = source.Slice(b, 32);
            var y = destination.Slice(b, 32);
            float amax = 0;
            foreach (float v in x)
            {
                float a = MathF.Abs(v);
                amax = a > amax ? a : amax;
            }
            float d = (float)(Half)(amax / 127.0f);
            float id = amax != 0.0f ? 127.0f / amax : 0.0f;
            for (int j = 0; j < 32; j++)
            {
                y[j] = d * (int)MathF.Round(x[j] * id, MidpointRounding.ToEven);
            }
        }
    }

    /// <summary>
    /// What quantize_row_q8_K leaves of each block of 256 after dequantizing: the largest magnitude maps to -127
    /// exactly, values round to nearest even, and d = 1/iscale.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RoundQ8_K(ReadOnlySpan<float> source, Span<float> destination)
    {
        for (int b = 0; b < source.Length; b += 256)
        {
            var x = source.Slice(b, 256);
            var y = destination.Slice(b, 256);
            float max = 0, amax = 0;
            for (int j = 0; j < 256; j++)
            {
                float ax = MathF.Abs(x[j]);
                if (ax > amax)
                {
                    amax = ax;
                    max = x[j];
                }
            }
            if (amax == 0)
            {
                y.Clear();
                continue;
            }
            float iscale = -127.0f / max;
            float d = 1 / iscale;
            for (int j = 0; j < 256; j++)
            {
                float shifted = iscale * x[j] + 12582912f;
                int q = Math.Min(127, (BitConverter.SingleToInt32Bits(shifted) & 0x007fffff) - 0x00400000);
                y[j] = d * q;
            }
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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
