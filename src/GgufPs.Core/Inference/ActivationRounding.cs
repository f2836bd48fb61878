using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
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
                RoundToBF16(source, destination);
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
    private static unsafe void RoundQ8_0(ReadOnlySpan<float> source, Span<float> destination)
    {
        sbyte* q = stackalloc sbyte[32];
        fixed (float* x = source, y = destination)
        {
            for (int b = 0; b < source.Length; b += 32)
            {
                QuantizedActivations.QuantizeQ8_0(x + b, q, out float d, out _);
                Dequantize(q, 32, d, y + b);
            }
        }
    }

    /// <summary>
    /// What quantize_row_q8_K leaves of each block of 256 after dequantizing: the largest magnitude maps to -127
    /// exactly, values round to nearest even, and d = 1/iscale.
    /// </summary>
    private static unsafe void RoundQ8_K(ReadOnlySpan<float> source, Span<float> destination)
    {
        sbyte* q = stackalloc sbyte[256];
        fixed (float* x = source, y = destination)
        {
            for (int b = 0; b < source.Length; b += 256)
            {
                QuantizedActivations.QuantizeQ8K(x + b, q, out float d);
                Dequantize(q, 256, d, y + b);
            }
        }
    }

    /// <summary>y[i] = d·q[i], four values at a time.</summary>
    private static unsafe void Dequantize(sbyte* q, int count, float d, float* y)
    {
        var scale = Vector128.Create(d);
        for (int i = 0; i < count; i += 4)
        {
            (Vector128.ConvertToSingle(Vector128.Create(q[i], q[i + 1], q[i + 2], q[i + 3])) * scale).Store(y + i);
        }
    }

    /// <summary>ggml_compute_fp32_to_bf16 and back: round to nearest even on the upper 16 bits, NaNs made quiet.</summary>
    private static void RoundToBF16(ReadOnlySpan<float> source, Span<float> destination)
    {
        var bits = MemoryMarshal.Cast<float, uint>(source);
        var output = MemoryMarshal.Cast<float, uint>(destination);
        int i = 0;
        for (; i + 4 <= bits.Length; i += 4)
        {
            var u = Vector128.Create(bits.Slice(i, 4));
            var nan = Vector128.GreaterThan(u & Vector128.Create(0x7fffffffu), Vector128.Create(0x7f800000u));
            var rounded = (u + Vector128.Create(0x7fffu) + ((u >> 16) & Vector128<uint>.One)) >> 16;
            var quiet = (u >> 16) | Vector128.Create(64u);
            (Vector128.ConditionalSelect(nan, quiet, rounded) << 16).CopyTo(output.Slice(i, 4));
        }
        for (; i < bits.Length; i++)
        {
            output[i] = (uint)HalfPrecisionConverter.ToBF16(bits[i]) << 16;
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

    /// <summary>(float)(Half)x for each value, through <see cref="HalfRounding"/>'s vector rounding, which attention uses too.</summary>
    public static unsafe void RoundToHalf(ReadOnlySpan<float> source, Span<float> destination)
    {
        fixed (float* x = source)
        fixed (float* y = destination)
        {
            HalfRounding.Round(x, y, source.Length);
        }
    }
}
