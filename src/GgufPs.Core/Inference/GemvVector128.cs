using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace GgufPs.Inference;

/// <summary>
/// <see cref="Gemv"/>'s kernels with 128-bit integers: SSSE3's pmaddubsw and pmaddwd on x64, widening multiplies
/// and pairwise adds on ARM64, which give the same integers. Four rows go at once, one a lane in the float steps,
/// which are <see cref="GemvAvx2"/>'s, made exact by <see cref="ExactFma"/> where the CPU has no fused multiply-add.
/// </summary>
internal static unsafe class GemvVector128
{
    public const int Rows = 4;

    /// <summary>y[0..4) for rows [first, first + 4) of a Q8_0 matrix.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q8_0(WeightMatrix w, int first, DecodeActivations a, float* y)
    {
        byte* p = w.RowPointer(first);
        long stride = w.RowBytes;
        int blocks = w.Columns / 32;
        var o = Vector128<float>.Zero;
        for (int b = 0; b < blocks; b++, p += 34)
        {
            var x0 = Vector128.Load(a.Values + b * 32);
            var x1 = Vector128.Load(a.Values + b * 32 + 16);
            var c = RowSums(SignedDot(p + 2, x0, x1), SignedDot(p + stride + 2, x0, x1),
                SignedDot(p + 2 * stride + 2, x0, x1), SignedDot(p + 3 * stride + 2, x0, x1));
            var halves = Vector128.Create((uint)*(ushort*)p, *(ushort*)(p + stride), *(ushort*)(p + 2 * stride), *(ushort*)(p + 3 * stride));
            var ws = HalfVectors.Widened128(halves);
            o = ExactFma.MultiplyAdd(Vector128.ConvertToSingle(c), ws * a.Scales[b], o);
        }
        o.Store(y);
    }

    /// <summary>The same for Q4_K.</summary>
    public static void Q4_K(WeightMatrix w, int first, DecodeActivations a, float* y) => KQuant32(w, first, a, y, five: false);

    /// <summary>The same for Q5_K, each value's fifth bit from the block's high bits.</summary>
    public static void Q5_K(WeightMatrix w, int first, DecodeActivations a, float* y) => KQuant32(w, first, a, y, five: true);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void KQuant32(WeightMatrix w, int first, DecodeActivations a, float* y, bool five)
    {
        byte* r0 = w.RowPointer(first);
        long stride = w.RowBytes;
        int blocks = w.Columns / 256;
        int groups = blocks * 8;
        float* offsets = stackalloc float[groups * Rows];
        byte* scaleBytes = stackalloc byte[16 * Rows];
        float* d = stackalloc float[Rows];
        float* dmin = stackalloc float[Rows];
        var tile = Vector128<float>.Zero;
        for (int b = 0; b < blocks; b++)
        {
            byte* p = r0 + b * (five ? 176 : 144);
            for (int r = 0; r < Rows; r++)
            {
                byte* block = p + r * stride;
                d[r] = (float)BitConverter.UInt16BitsToHalf(*(ushort*)block);
                dmin[r] = (float)BitConverter.UInt16BitsToHalf(*(ushort*)(block + 2));
                GemvAvx2.UnpackScales(block + 4, (uint*)(scaleBytes + 16 * r));
            }
            var dv = Vector128.Load(d);
            var mv = Vector128.Load(dmin);
            sbyte* x = a.Values + b * 256;
            var f = Vector128<float>.Zero;
            for (int j = 0; j < 4; j++)
            {
                byte* q = p + (five ? 48 : 16) + 32 * j;
                byte* qh = p + 16;
                sbyte* xl = x + 64 * j, xh = xl + 32;
                NibbleDots(q, qh, five, j, xl, xh, out var l0, out var h0);
                NibbleDots(q + stride, qh + stride, five, j, xl, xh, out var l1, out var h1);
                NibbleDots(q + 2 * stride, qh + 2 * stride, five, j, xl, xh, out var l2, out var h2);
                NibbleDots(q + 3 * stride, qh + 3 * stride, five, j, xl, xh, out var l3, out var h3);
                int g = 2 * j;
                f = ExactFma.MultiplyAdd(Vector128.ConvertToSingle(RowSums(l0, l1, l2, l3)), dv * Column(scaleBytes, g), f);
                f = ExactFma.MultiplyAdd(Vector128.ConvertToSingle(RowSums(h0, h1, h2, h3)), dv * Column(scaleBytes, g + 1), f);
            }
            for (int g = 0; g < 8; g++)
            {
                (mv * Column(scaleBytes, 8 + g)).Store(offsets + (b * 8 + g) * Rows);
            }
            tile = ExactFma.MultiplyAdd(f, Vector128.Create(a.Scales[b]), tile);
        }
        for (int g = 0; g < groups; g++)
        {
            tile = ExactFma.MultiplyAdd(-Vector128.Load(offsets + g * Rows), Vector128.Create(a.ScaledSums[g]), tile);
        }
        tile.Store(y);
    }

    /// <summary>The same for Q6_K, each group's dot Σ(u − 32)·a in integers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q6_K(WeightMatrix w, int first, DecodeActivations a, float* y)
    {
        byte* r0 = w.RowPointer(first);
        long stride = w.RowBytes;
        int blocks = w.Columns / 256;
        sbyte* scaleBytes = stackalloc sbyte[16 * Rows];
        float* d = stackalloc float[Rows];
        var tile = Vector128<float>.Zero;
        for (int b = 0; b < blocks; b++)
        {
            byte* p = r0 + b * 210;
            for (int r = 0; r < Rows; r++)
            {
                byte* block = p + r * stride;
                d[r] = (float)BitConverter.UInt16BitsToHalf(*(ushort*)(block + 208));
                Vector128.Load(block + 192).Store((byte*)(scaleBytes + 16 * r));
            }
            var dv = Vector128.Load(d);
            sbyte* x = a.Values + b * 256;
            var f = Vector128<float>.Zero;
            for (int half = 0; half < 2; half++)
            {
                int n0 = 128 * half;
                for (int quarter = 0; quarter < 4; quarter++)
                {
                    byte* ql = p + n0 / 2 + (quarter & 1) * 32;
                    byte* qh = p + 128 + n0 / 4;
                    for (int part = 0; part < 2; part++)
                    {
                        int o = 16 * part;
                        var xv = Vector128.Load(x + n0 + 32 * quarter + o);
                        var c = RowSums(SixBitDot(ql + o, qh + o, quarter, xv), SixBitDot(ql + stride + o, qh + stride + o, quarter, xv),
                            SixBitDot(ql + 2 * stride + o, qh + 2 * stride + o, quarter, xv), SixBitDot(ql + 3 * stride + o, qh + 3 * stride + o, quarter, xv));
                        int g = 8 * half + 2 * quarter + part;
                        var sc = SignedColumn(scaleBytes, g);
                        c -= Vector128.Create(32 * a.Sums[b * 16 + g]);
                        f = ExactFma.MultiplyAdd(Vector128.ConvertToSingle(c), dv * Vector128.ConvertToSingle(sc), f);
                    }
                }
            }
            tile = ExactFma.MultiplyAdd(f, Vector128.Create(a.Scales[b]), tile);
        }
        tile.Store(y);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    /// <summary>One row's nibble dots of a Q4_K pair of groups; for Q5_K (<paramref name="five"/>) bits 2j and 2j + 1 are the fifth bits.</summary>
    private static void NibbleDots(byte* q, byte* qh, bool five, int j, sbyte* xl, sbyte* xh, out Vector128<int> lows, out Vector128<int> highs)
    {
        var mask = Vector128.Create((byte)0x0F);
        var v0 = Vector128.Load(q);
        var v1 = Vector128.Load(q + 16);
        var l0 = v0 & mask;
        var l1 = v1 & mask;
        var u0 = Vector128.ShiftRightLogical(v0, 4);
        var u1 = Vector128.ShiftRightLogical(v1, 4);
        if (five)
        {
            var one = Vector128.Create((byte)1);
            var h0 = Vector128.Load(qh);
            var h1 = Vector128.Load(qh + 16);
            l0 |= Vector128.ShiftLeft(Vector128.ShiftRightLogical(h0, 2 * j) & one, 4);
            l1 |= Vector128.ShiftLeft(Vector128.ShiftRightLogical(h1, 2 * j) & one, 4);
            u0 |= Vector128.ShiftLeft(Vector128.ShiftRightLogical(h0, 2 * j + 1) & one, 4);
            u1 |= Vector128.ShiftLeft(Vector128.ShiftRightLogical(h1, 2 * j + 1) & one, 4);
        }
        lows = Dot(l0, Vector128.Load(xl)) + Dot(l1, Vector128.Load(xl + 16));
        highs = Dot(u0, Vector128.Load(xh)) + Dot(u1, Vector128.Load(xh + 16));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> SixBitDot(byte* ql, byte* qh, int quarter, Vector128<sbyte> x)
    {
        var l = Vector128.Load(ql);
        var nibble = quarter < 2 ? l & Vector128.Create((byte)0x0F) : Vector128.ShiftRightLogical(l, 4);
        var top = Vector128.ShiftRightLogical(Vector128.Load(qh), 2 * quarter) & Vector128.Create((byte)3);
        return Dot(nibble | Vector128.ShiftLeft(top, 4), x);
    }

    /// <summary>Σ w·x of one row's 32 signed bytes at <paramref name="p"/>, in int32 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> SignedDot(byte* p, Vector128<sbyte> x0, Vector128<sbyte> x1) =>
        SignedDot(Vector128.Load((sbyte*)p), x0) + SignedDot(Vector128.Load((sbyte*)p + 16), x1);

    /// <summary>Σ w·x of signed bytes (w above −128), four products a lane: on x64 |w| times x with w's sign.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<int> SignedDot(Vector128<sbyte> w, Vector128<sbyte> x)
    {
        if (AdvSimd.Arm64.IsSupported)
        {
            return WideningDot(w, x);
        }
        return Sse2.MultiplyAddAdjacent(Ssse3.MultiplyAddAdjacent(Ssse3.Abs(w), Ssse3.Sign(x, w)), Vector128.Create((short)1));
    }

    /// <summary>Σ u·x of unsigned values below 128 and signed bytes, four products a lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<int> Dot(Vector128<byte> u, Vector128<sbyte> x)
    {
        if (AdvSimd.Arm64.IsSupported)
        {
            return WideningDot(u.AsSByte(), x);
        }
        return Sse2.MultiplyAddAdjacent(Ssse3.MultiplyAddAdjacent(u, x), Vector128.Create((short)1));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> WideningDot(Vector128<sbyte> w, Vector128<sbyte> x)
    {
        var low = AdvSimd.AddPairwiseWidening(AdvSimd.MultiplyWideningLower(w.GetLower(), x.GetLower()));
        var high = AdvSimd.AddPairwiseWidening(AdvSimd.MultiplyWideningUpper(w, x));
        return AdvSimd.Arm64.AddPairwise(low, high);
    }

    /// <summary>The total of each of four rows' lanes, one row a lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<int> RowSums(Vector128<int> r0, Vector128<int> r1, Vector128<int> r2, Vector128<int> r3)
    {
        if (AdvSimd.Arm64.IsSupported)
        {
            return AdvSimd.Arm64.AddPairwise(AdvSimd.Arm64.AddPairwise(r0, r1), AdvSimd.Arm64.AddPairwise(r2, r3));
        }
        return Ssse3.HorizontalAdd(Ssse3.HorizontalAdd(r0, r1), Ssse3.HorizontalAdd(r2, r3));
    }

    /// <summary>Byte <paramref name="index"/> of each of the four rows' sixteen, as floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<float> Column(byte* bytes, int index) =>
        Vector128.ConvertToSingle(Vector128.Create((int)bytes[index], bytes[16 + index], bytes[32 + index], bytes[48 + index]));

    /// <summary>Signed byte <paramref name="index"/> of each of the four rows' sixteen.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<int> SignedColumn(sbyte* bytes, int index) =>
        Vector128.Create((int)bytes[index], bytes[16 + index], bytes[32 + index], bytes[48 + index]);
}
