using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GgufPs.Inference;

/// <summary>
/// Vectorised dequantization of the common block types into float panels for the matrix kernels, sixteen values at
/// a time, with the same float operations in the same order as the reference decoders (ggml's dequantize_row_*), so
/// the values are identical. Each decoder is written once over sixteen values; <see cref="ISixteenFloats"/> turns
/// them into floats with one Vector512, two Vector256 or four Vector128. Other types use the reference decoders.
/// </summary>
internal static unsafe class FastDequantizer
{
    public static bool Handles(GgmlType type) => type is GgmlType.Q8_0 or GgmlType.Q4_0 or GgmlType.Q4_K
        or GgmlType.Q5_K or GgmlType.Q6_K or GgmlType.Q3_K or GgmlType.Q2_K;

    /// <summary>Decodes <paramref name="count"/> values (whole blocks) from <paramref name="x"/> into <paramref name="y"/>.</summary>
    public static void Decode(GgmlType type, byte* x, float* y, int count) => Decode(type, x, y, count, KernelSupport.FloatWidth);

    internal static void Decode(GgmlType type, byte* x, float* y, int count, VectorWidth width)
    {
        switch (width)
        {
            case VectorWidth.Vector512:
                Decode<SixteenFloats512>(type, x, y, count);
                break;
            case VectorWidth.Vector256:
                Decode<SixteenFloats256>(type, x, y, count);
                break;
            default:
                Decode<SixteenFloats128>(type, x, y, count);
                break;
        }
    }

    private static void Decode<TFloats>(GgmlType type, byte* x, float* y, int count)
        where TFloats : struct, ISixteenFloats
    {
        switch (type)
        {
            case GgmlType.Q8_0:
                for (int i = 0; i < count; i += 32, x += 34, y += 32)
                {
                    float d = Half(x);
                    TFloats.Scaled(Vector128.Load((sbyte*)x + 2), d, y);
                    TFloats.Scaled(Vector128.Load((sbyte*)x + 18), d, y + 16);
                }
                break;
            case GgmlType.Q4_0:
                for (int i = 0; i < count; i += 32, x += 18, y += 32)
                {
                    float d = Half(x);
                    var q = Vector128.Load(x + 2);
                    TFloats.Scaled(q & Vector128.Create((byte)0x0F), 8, d, y);
                    TFloats.Scaled(Vector128.ShiftRightLogical(q, 4), 8, d, y + 16);
                }
                break;
            case GgmlType.Q4_K:
                for (int i = 0; i < count; i += 256, x += 144, y += 256)
                {
                    DecodeQ4K<TFloats>(x, y);
                }
                break;
            case GgmlType.Q5_K:
                for (int i = 0; i < count; i += 256, x += 176, y += 256)
                {
                    DecodeQ5K<TFloats>(x, y);
                }
                break;
            case GgmlType.Q6_K:
                for (int i = 0; i < count; i += 256, x += 210, y += 256)
                {
                    DecodeQ6K<TFloats>(x, y);
                }
                break;
            case GgmlType.Q3_K:
                for (int i = 0; i < count; i += 256, x += 110, y += 256)
                {
                    DecodeQ3K<TFloats>(x, y);
                }
                break;
            case GgmlType.Q2_K:
                for (int i = 0; i < count; i += 256, x += 84, y += 256)
                {
                    DecodeQ2K<TFloats>(x, y);
                }
                break;
            default:
                throw new NotSupportedException($"{type} has no fast decoder.");
        }
    }

    private static void DecodeQ4K<TFloats>(byte* x, float* y)
        where TFloats : struct, ISixteenFloats
    {
        float d = Half(x), min = Half(x + 2);
        byte* scales = x + 4;
        byte* qs = x + 16;
        var low = Vector128.Create((byte)0x0F);
        for (int j = 0; j < 4; j++, qs += 32, y += 64)
        {
            ScaleMin(2 * j, scales, out int sc1, out int m1);
            ScaleMin(2 * j + 1, scales, out int sc2, out int m2);
            float d1 = d * sc1, min1 = min * m1;
            float d2 = d * sc2, min2 = min * m2;
            for (int h = 0; h < 2; h++)
            {
                var q = Vector128.Load(qs + 16 * h);
                TFloats.ScaledMinus(q & low, d1, min1, y + 16 * h);
                TFloats.ScaledMinus(Vector128.ShiftRightLogical(q, 4), d2, min2, y + 32 + 16 * h);
            }
        }
    }

    private static void DecodeQ5K<TFloats>(byte* x, float* y)
        where TFloats : struct, ISixteenFloats
    {
        float d = Half(x), min = Half(x + 2);
        byte* scales = x + 4;
        byte* qh = x + 16;
        byte* ql = x + 48;
        var low = Vector128.Create((byte)0x0F);
        var one = Vector128.Create((byte)1);
        for (int j = 0; j < 4; j++, ql += 32, y += 64)
        {
            ScaleMin(2 * j, scales, out int sc1, out int m1);
            ScaleMin(2 * j + 1, scales, out int sc2, out int m2);
            float d1 = d * sc1, min1 = min * m1;
            float d2 = d * sc2, min2 = min * m2;
            for (int h = 0; h < 2; h++)
            {
                var q = Vector128.Load(ql + 16 * h);
                var high = Vector128.Load(qh + 16 * h);
                var b1 = Vector128.ShiftLeft(Vector128.ShiftRightLogical(high, 2 * j) & one, 4);
                var b2 = Vector128.ShiftLeft(Vector128.ShiftRightLogical(high, 2 * j + 1) & one, 4);
                TFloats.ScaledMinus((q & low) + b1, d1, min1, y + 16 * h);
                TFloats.ScaledMinus(Vector128.ShiftRightLogical(q, 4) + b2, d2, min2, y + 32 + 16 * h);
            }
        }
    }

    private static void DecodeQ6K<TFloats>(byte* x, float* y)
        where TFloats : struct, ISixteenFloats
    {
        float d = Half(x + 208);
        var low = Vector128.Create((byte)0x0F);
        var three = Vector128.Create((byte)3);
        for (int n = 0; n < 256; n += 128, y += 128)
        {
            byte* ql = x + n / 2;
            byte* qh = x + 128 + n / 4;
            sbyte* sc = (sbyte*)(x + 192 + n / 16);
            for (int g = 0; g < 2; g++)
            {
                var l0 = Vector128.Load(ql + 16 * g);
                var l32 = Vector128.Load(ql + 32 + 16 * g);
                var hi = Vector128.Load(qh + 16 * g);
                var q1 = (l0 & low) | Vector128.ShiftLeft(hi & three, 4);
                var q2 = (l32 & low) | Vector128.ShiftLeft(Vector128.ShiftRightLogical(hi, 2) & three, 4);
                var q3 = Vector128.ShiftRightLogical(l0, 4) | Vector128.ShiftLeft(Vector128.ShiftRightLogical(hi, 4) & three, 4);
                var q4 = Vector128.ShiftRightLogical(l32, 4) | Vector128.ShiftLeft(Vector128.ShiftRightLogical(hi, 6) & three, 4);
                TFloats.Scaled(q1, 32, d * sc[g], y + 16 * g);
                TFloats.Scaled(q2, 32, d * sc[g + 2], y + 32 + 16 * g);
                TFloats.Scaled(q3, 32, d * sc[g + 4], y + 64 + 16 * g);
                TFloats.Scaled(q4, 32, d * sc[g + 6], y + 96 + 16 * g);
            }
        }
    }

    private static void DecodeQ3K<TFloats>(byte* x, float* y)
        where TFloats : struct, ISixteenFloats
    {
        byte* hmask = x;
        byte* qs = x + 32;
        float d = Half(x + 108);
        uint a0 = *(uint*)(x + 96), a1 = *(uint*)(x + 100), tmp = *(uint*)(x + 104);
        const uint m1 = 0x03030303, m2 = 0x0f0f0f0f;
        uint* aux = stackalloc uint[4];
        aux[0] = (a0 & m2) | (((tmp >> 0) & m1) << 4);
        aux[1] = (a1 & m2) | (((tmp >> 2) & m1) << 4);
        aux[2] = ((a0 >> 4) & m2) | (((tmp >> 4) & m1) << 4);
        aux[3] = ((a1 >> 4) & m2) | (((tmp >> 6) & m1) << 4);
        sbyte* scales = (sbyte*)aux;
        var three = Vector128.Create((byte)3);
        var one = Vector128.Create((byte)1);
        int scaleIndex = 0;
        int bit = 0;
        for (int n = 0; n < 256; n += 128)
        {
            byte* q = qs + n / 4;
            for (int shift = 0; shift < 8; shift += 2, bit++)
            {
                for (int half = 0; half < 2; half++, y += 16)
                {
                    float dl = d * (scales[scaleIndex++] - 32);
                    var quant = Vector128.ShiftRightLogical(Vector128.Load(q + 16 * half), shift) & three;
                    // The high bit set means no subtraction of 4: (quant + 4·high) - 4.
                    var high = Vector128.ShiftRightLogical(Vector128.Load(hmask + 16 * half), bit) & one;
                    TFloats.Scaled(quant | Vector128.ShiftLeft(high, 2), 4, dl, y);
                }
            }
        }
    }

    private static void DecodeQ2K<TFloats>(byte* x, float* y)
        where TFloats : struct, ISixteenFloats
    {
        byte* scales = x;
        byte* qs = x + 16;
        float d = Half(x + 80), min = Half(x + 82);
        var three = Vector128.Create((byte)3);
        int scaleIndex = 0;
        for (int n = 0; n < 256; n += 128)
        {
            byte* q = qs + n / 4;
            for (int shift = 0; shift < 8; shift += 2)
            {
                for (int half = 0; half < 2; half++, y += 16)
                {
                    byte sc = scales[scaleIndex++];
                    float dl = d * (sc & 0xF);
                    float ml = min * (sc >> 4);
                    var quant = Vector128.ShiftRightLogical(Vector128.Load(q + 16 * half), shift) & three;
                    TFloats.ScaledMinus(quant, dl, ml, y);
                }
            }
        }
    }

    /// <summary>get_scale_min_k4: the 6-bit scale and minimum of sub-block j of a Q4_K/Q5_K block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ScaleMin(int j, byte* q, out int scale, out int min)
    {
        if (j < 4)
        {
            scale = q[j] & 63;
            min = q[j + 4] & 63;
        }
        else
        {
            scale = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
            min = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Half(byte* p) => (float)BitConverter.UInt16BitsToHalf(*(ushort*)p);
}
