using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GgufPs.Inference;

/// <summary>
/// <see cref="Gemv"/>'s kernels for Q3_K and Q2_K with 128-bit integers (SSSE3's pmaddubsw and pmaddwd on x64,
/// widening multiplies and pairwise adds on ARM64): four rows at once, one group of 16 values a step, one row a lane
/// in the float steps, which are <see cref="GemvLowBitsAvx2"/>'s, made exact by <see cref="ExactFma"/> where the CPU
/// has no fused multiply-add.
/// </summary>
internal static unsafe class GemvLowBitsVector128
{
    public const int Rows = GemvVector128.Rows;

    private const int Q3KBytes = 110;

    private const int Q2KBytes = 84;

    /// <summary>Q3_K's values are its 3-bit fields less 4; the token's group sums times 4 come off each group's dot.</summary>
    private const int Q3KBias = 4;

    /// <summary>y[0..4) for rows [first, first + 4) of a Q3_K matrix.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q3_K(WeightMatrix w, int first, DecodeActivations a, float* y)
    {
        byte* r0 = w.RowPointer(first);
        long stride = w.RowBytes;
        int blocks = w.Columns / 256;
        // Each row's sixteen signed scales (6 bits less 32), row r at 16·r.
        sbyte* scales = stackalloc sbyte[16 * Rows];
        float* d = stackalloc float[Rows];
        var tile = Vector128<float>.Zero;
        for (int b = 0; b < blocks; b++)
        {
            byte* p = r0 + b * Q3KBytes;
            for (int r = 0; r < Rows; r++)
            {
                byte* block = p + r * stride;
                d[r] = (float)BitConverter.UInt16BitsToHalf(*(ushort*)(block + 108));
                UnpackQ3KScales(block + 96, scales + 16 * r);
            }
            var dv = Vector128.Load(d);
            sbyte* x = a.Values + b * 256;
            var f = Vector128<float>.Zero;
            for (int half = 0; half < 2; half++)
            {
                byte* q = p + 32 + 32 * half;
                for (int quarter = 0; quarter < 4; quarter++)
                {
                    int shift = 2 * quarter;
                    int bit = 4 * half + quarter;
                    for (int part = 0; part < 2; part++)
                    {
                        int o = 16 * part;
                        var xv = Vector128.Load(x + 128 * half + 32 * quarter + o);
                        var c = GemvVector128.RowSums(ThreeBitDot(q + o, p + o, shift, bit, xv), ThreeBitDot(q + stride + o, p + stride + o, shift, bit, xv),
                            ThreeBitDot(q + 2 * stride + o, p + 2 * stride + o, shift, bit, xv),
                            ThreeBitDot(q + 3 * stride + o, p + 3 * stride + o, shift, bit, xv));
                        int g = 8 * half + 2 * quarter + part;
                        c -= Vector128.Create(Q3KBias * a.Sums[b * 16 + g]);
                        f = ExactFma.MultiplyAdd(Vector128.ConvertToSingle(c), dv * Vector128.ConvertToSingle(GemvVector128.SignedColumn(scales, g)), f);
                    }
                }
            }
            tile = ExactFma.MultiplyAdd(f, Vector128.Create(a.Scales[b]), tile);
        }
        tile.Store(y);
    }

    /// <summary>y[0..4) for rows [first, first + 4) of a Q2_K matrix, the minimums taken off after the last block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q2_K(WeightMatrix w, int first, DecodeActivations a, float* y)
    {
        byte* r0 = w.RowPointer(first);
        long stride = w.RowBytes;
        int blocks = w.Columns / 256;
        int groups = blocks * 16;
        float* offsets = stackalloc float[groups * Rows];
        byte* scaleBytes = stackalloc byte[16 * Rows];
        float* d = stackalloc float[Rows];
        float* dmin = stackalloc float[Rows];
        var nibble = Vector128.Create((byte)0x0F);
        var tile = Vector128<float>.Zero;
        for (int b = 0; b < blocks; b++)
        {
            byte* p = r0 + b * Q2KBytes;
            for (int r = 0; r < Rows; r++)
            {
                byte* block = p + r * stride;
                d[r] = (float)BitConverter.UInt16BitsToHalf(*(ushort*)(block + 80));
                dmin[r] = (float)BitConverter.UInt16BitsToHalf(*(ushort*)(block + 82));
                Vector128.Load(block).Store(scaleBytes + 16 * r);
            }
            var dv = Vector128.Load(d);
            var mv = Vector128.Load(dmin);
            sbyte* x = a.Values + b * 256;
            var f = Vector128<float>.Zero;
            for (int half = 0; half < 2; half++)
            {
                byte* q = p + 16 + 32 * half;
                for (int quarter = 0; quarter < 4; quarter++)
                {
                    int shift = 2 * quarter;
                    for (int part = 0; part < 2; part++)
                    {
                        int o = 16 * part;
                        var xv = Vector128.Load(x + 128 * half + 32 * quarter + o);
                        var c = GemvVector128.RowSums(TwoBitDot(q + o, shift, xv), TwoBitDot(q + stride + o, shift, xv),
                            TwoBitDot(q + 2 * stride + o, shift, xv), TwoBitDot(q + 3 * stride + o, shift, xv));
                        int g = 8 * half + 2 * quarter + part;
                        var sc = Vector128.ConvertToSingle(Column(scaleBytes, g) & Vector128.Create(0xF));
                        f = ExactFma.MultiplyAdd(Vector128.ConvertToSingle(c), dv * sc, f);
                    }
                }
            }
            for (int g = 0; g < 16; g++)
            {
                (mv * Vector128.ConvertToSingle(Vector128.ShiftRightLogical(Column(scaleBytes, g), 4))).Store(offsets + (b * 16 + g) * Rows);
            }
            tile = ExactFma.MultiplyAdd(f, Vector128.Create(a.Scales[b]), tile);
        }
        for (int g = 0; g < groups; g++)
        {
            tile = ExactFma.MultiplyAdd(-Vector128.Load(offsets + g * Rows), Vector128.Create(a.ScaledSums[g]), tile);
        }
        tile.Store(y);
    }

    /// <summary>Q3_K's twelve bytes of packed scales as sixteen signed ones, as llama.cpp's aux words less 32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void UnpackQ3KScales(byte* packed, sbyte* destination)
    {
        const uint m1 = 0x03030303, m2 = 0x0f0f0f0f;
        uint a0 = *(uint*)packed, a1 = *(uint*)(packed + 4), tmp = *(uint*)(packed + 8);
        var aux = Vector128.Create(
            (a0 & m2) | ((tmp & m1) << 4),
            (a1 & m2) | (((tmp >> 2) & m1) << 4),
            ((a0 >> 4) & m2) | (((tmp >> 4) & m1) << 4),
            ((a1 >> 4) & m2) | (((tmp >> 6) & m1) << 4));
        (aux.AsSByte() - Vector128.Create((sbyte)32)).Store(destination);
    }

    /// <summary>One row's 16 values of a Q3_K group (bits <paramref name="shift"/> of the bytes, bit <paramref name="bit"/> of the mask as 4) dotted with x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> ThreeBitDot(byte* q, byte* mask, int shift, int bit, Vector128<sbyte> x)
    {
        var low = Vector128.ShiftRightLogical(Vector128.Load(q), shift) & Vector128.Create((byte)3);
        var high = Vector128.ShiftRightLogical(Vector128.Load(mask), bit) & Vector128<byte>.One;
        return GemvVector128.Dot(low | Vector128.ShiftLeft(high, 2), x);
    }

    /// <summary>One row's 16 values of a Q2_K group dotted with x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> TwoBitDot(byte* q, int shift, Vector128<sbyte> x) =>
        GemvVector128.Dot(Vector128.ShiftRightLogical(Vector128.Load(q), shift) & Vector128.Create((byte)3), x);

    /// <summary>Byte <paramref name="index"/> of each of the four rows' sixteen, as integers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> Column(byte* bytes, int index) =>
        Vector128.Create((int)bytes[index], bytes[16 + index], bytes[32 + index], bytes[48 + index]);
}
