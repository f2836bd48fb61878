using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace GgufPs.Quantization;

/// <summary>
/// Row conversions between F32 and the 16-bit float formats, rounding as ggml does: F16 to nearest-even (what F16C
/// and System.Half do), BF16 to nearest-even with NaN kept quiet (ggml_compute_fp32_to_bf16).
/// </summary>
internal static class HalfPrecisionConverter
{
    public static void ToF16(ReadOnlySpan<float> source, Span<byte> destination)
    {
        var output = MemoryMarshal.Cast<byte, ushort>(destination)[..source.Length];
        TensorPrimitives.ConvertToHalf(source, MemoryMarshal.Cast<ushort, Half>(output));
        CanonicalizeNaNs(source, output);
    }

    // ggml turns every NaN into the quiet NaN 0x7E00 (keeping the sign), where a plain conversion keeps the payload.
    private static void CanonicalizeNaNs(ReadOnlySpan<float> source, Span<ushort> output)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= source.Length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var v = Vector512.Create(source.Slice(i, Vector512<float>.Count));
                if (Vector512.EqualsAll(v, v))
                {
                    continue;
                }
                FixRange(source, output, i, Vector512<float>.Count);
            }
        }
        FixRange(source, output, i, source.Length - i);
    }

    private static void FixRange(ReadOnlySpan<float> source, Span<ushort> output, int start, int count)
    {
        for (int k = start; k < start + count; k++)
        {
            if (float.IsNaN(source[k]))
            {
                output[k] = (ushort)((BitConverter.SingleToUInt32Bits(source[k]) >> 16 & 0x8000) | 0x7E00);
            }
        }
    }

    public static void FromF16(ReadOnlySpan<byte> source, Span<float> destination) =>
        TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(source), destination);

    public static void ToBF16(ReadOnlySpan<float> source, Span<byte> destination)
    {
        var bits = MemoryMarshal.Cast<float, uint>(source);
        var output = MemoryMarshal.Cast<byte, ushort>(destination)[..source.Length];
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= bits.Length - Vector512<uint>.Count; i += Vector512<uint>.Count)
            {
                var u = Vector512.Create(bits.Slice(i, Vector512<uint>.Count));
                var nan = Vector512.GreaterThan(u & Vector512.Create(0x7fffffffu), Vector512.Create(0x7f800000u));
                var rounded = (u + Vector512.Create(0x7fffu) + ((u >> 16) & Vector512.Create(1u))) >> 16;
                var quiet = (u >> 16) | Vector512.Create(64u);
                var result = Vector512.ConditionalSelect(nan, quiet, rounded);
                var narrowed = Vector512.Narrow(result, result).GetLower();
                narrowed.CopyTo(output.Slice(i, Vector512<uint>.Count));
            }
        }
        for (; i < bits.Length; i++)
        {
            output[i] = ToBF16(bits[i]);
        }
    }

    public static void FromBF16(ReadOnlySpan<byte> source, Span<float> destination)
    {
        var input = MemoryMarshal.Cast<byte, ushort>(source);
        var bits = MemoryMarshal.Cast<float, uint>(destination)[..input.Length];
        for (int i = 0; i < input.Length; i++)
        {
            bits[i] = (uint)input[i] << 16;
        }
    }

    public static ushort ToBF16(uint bits)
    {
        if ((bits & 0x7fffffff) > 0x7f800000)
        {
            return (ushort)((bits >> 16) | 64);
        }
        return (ushort)((bits + (0x7fff + ((bits >> 16) & 1))) >> 16);
    }
}
