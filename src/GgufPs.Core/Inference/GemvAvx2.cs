using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GgufPs.Inference;

/// <summary>
/// <see cref="Gemv"/>'s kernels with 256-bit integers: AVX-VNNI's vpdpbusd where the CPU has it, otherwise AVX2's
/// vpmaddubsw and vpmaddwd, which give the same integers. Eight rows go at once: each row's bytes are multiplied
/// by the token's in their stored order, and a tree of horizontal adds gathers each group's eight row sums into the
/// eight lanes of one register, so the float steps that follow run one row a lane, exactly as the batched tiles do.
/// </summary>
internal static unsafe class GemvAvx2
{
    public const int Rows = 8;

    /// <summary>y[0..8) for rows [first, first + 8) of a Q8_0 matrix.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q8_0(WeightMatrix w, int first, DecodeActivations a, float* y, bool vnni)
    {
        byte* r0 = RowsFrom(w, first, out long stride);
        int blocks = w.Columns / 32;
        var o = Vector256<float>.Zero;
        ushort* halves = stackalloc ushort[Rows];
        for (int b = 0; b < blocks; b++)
        {
            byte* p = r0 + b * 34;
            var x = Vector256.Load(a.Values + b * 32);
            var h01 = Avx2.HorizontalAdd(SignedDot(p + 2, x, vnni), SignedDot(p + stride + 2, x, vnni));
            var h23 = Avx2.HorizontalAdd(SignedDot(p + 2 * stride + 2, x, vnni), SignedDot(p + 3 * stride + 2, x, vnni));
            var h45 = Avx2.HorizontalAdd(SignedDot(p + 4 * stride + 2, x, vnni), SignedDot(p + 5 * stride + 2, x, vnni));
            var h67 = Avx2.HorizontalAdd(SignedDot(p + 6 * stride + 2, x, vnni), SignedDot(p + 7 * stride + 2, x, vnni));
            var c = SumHalves(Avx2.HorizontalAdd(h01, h23), Avx2.HorizontalAdd(h45, h67));
            for (int r = 0; r < Rows; r++)
            {
                halves[r] = *(ushort*)(p + r * stride);
            }
            var ws = HalfVectors.Widened256(Avx2.ConvertToVector256Int32(Vector128.Load(halves)).AsUInt32());
            o = Fma.MultiplyAdd(Avx.ConvertToVector256Single(c), ws * a.Scales[b], o);
        }
        o.Store(y);
    }

    /// <summary>The same for Q4_K: groups of 32 with 6-bit scales and minimums, the minimums subtracted at the end.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q4_K(WeightMatrix w, int first, DecodeActivations a, float* y, bool vnni)
    {
        byte* r0 = RowsFrom(w, first, out long stride);
        int blocks = w.Columns / 256;
        int groups = blocks * 8;
        float* offsets = stackalloc float[groups * Rows];
        byte* scaleBytes = stackalloc byte[16 * Rows];
        float* d = stackalloc float[Rows];
        float* dmin = stackalloc float[Rows];
        var tile = Vector256<float>.Zero;
        var low = Vector256.Create((byte)0x0F);
        for (int b = 0; b < blocks; b++)
        {
            byte* p = r0 + b * 144;
            for (int r = 0; r < Rows; r++)
            {
                byte* block = p + r * stride;
                d[r] = (float)BitConverter.UInt16BitsToHalf(*(ushort*)block);
                dmin[r] = (float)BitConverter.UInt16BitsToHalf(*(ushort*)(block + 2));
                UnpackScales(block + 4, (uint*)(scaleBytes + 16 * r));
            }
            var dv = Vector256.Load(d);
            var mv = Vector256.Load(dmin);
            sbyte* x = a.Values + b * 256;
            var f = Vector256<float>.Zero;
            for (int j = 0; j < 4; j++)
            {
                var xl = Vector256.Load(x + 64 * j);
                var xh = Vector256.Load(x + 64 * j + 32);
                byte* q = p + 16 + 32 * j;
                NibbleDots(q, stride, xl, xh, low, vnni, 0, out var l01, out var h01);
                NibbleDots(q, stride, xl, xh, low, vnni, 2, out var l23, out var h23);
                NibbleDots(q, stride, xl, xh, low, vnni, 4, out var l45, out var h45);
                NibbleDots(q, stride, xl, xh, low, vnni, 6, out var l67, out var h67);
                var cl = SumHalves(Avx2.HorizontalAdd(l01, l23), Avx2.HorizontalAdd(l45, l67));
                var ch = SumHalves(Avx2.HorizontalAdd(h01, h23), Avx2.HorizontalAdd(h45, h67));
                int g = 2 * j;
                f = Fma.MultiplyAdd(Avx.ConvertToVector256Single(cl), dv * Column(scaleBytes, g), f);
                f = Fma.MultiplyAdd(Avx.ConvertToVector256Single(ch), dv * Column(scaleBytes, g + 1), f);
            }
            for (int g = 0; g < 8; g++)
            {
                (mv * Column(scaleBytes, 8 + g)).Store(offsets + (b * 8 + g) * Rows);
            }
            tile = Fma.MultiplyAdd(f, Vector256.Create(a.Scales[b]), tile);
        }
        for (int g = 0; g < groups; g++)
        {
            tile = Fma.MultiplyAddNegated(Vector256.Load(offsets + g * Rows), Vector256.Create(a.ScaledSums[g]), tile);
        }
        tile.Store(y);
    }

    /// <summary>The same for Q6_K: groups of 16 with signed 8-bit scales and an offset of 32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q6_K(WeightMatrix w, int first, DecodeActivations a, float* y, bool vnni)
    {
        byte* r0 = RowsFrom(w, first, out long stride);
        int blocks = w.Columns / 256;
        int groups = blocks * 16;
        float* offsets = stackalloc float[groups * Rows];
        sbyte* scaleBytes = stackalloc sbyte[16 * Rows];
        float* d = stackalloc float[Rows];
        var tile = Vector256<float>.Zero;
        var thirtyTwo = Vector256.Create(32);
        for (int b = 0; b < blocks; b++)
        {
            byte* p = r0 + b * 210;
            for (int r = 0; r < Rows; r++)
            {
                byte* block = p + r * stride;
                d[r] = (float)BitConverter.UInt16BitsToHalf(*(ushort*)(block + 208));
                Vector128.Load(block + 192).Store((byte*)(scaleBytes + 16 * r));
            }
            var dv = Vector256.Load(d);
            sbyte* x = a.Values + b * 256;
            var f = Vector256<float>.Zero;
            for (int half = 0; half < 2; half++)
            {
                // Values n0 + [0, 32), +32, +64, +96: the four quarters of a half, each two groups of 16.
                int n0 = 128 * half;
                for (int quarter = 0; quarter < 4; quarter++)
                {
                    var xv = Vector256.Load(x + n0 + 32 * quarter);
                    byte* ql = p + n0 / 2 + (quarter & 1) * 32;
                    byte* qh = p + 128 + n0 / 4;
                    var d01 = Avx2.HorizontalAdd(SixBitDot(ql, qh, quarter, xv, vnni), SixBitDot(ql + stride, qh + stride, quarter, xv, vnni));
                    var d23 = Avx2.HorizontalAdd(SixBitDot(ql + 2 * stride, qh + 2 * stride, quarter, xv, vnni), SixBitDot(ql + 3 * stride, qh + 3 * stride, quarter, xv, vnni));
                    var d45 = Avx2.HorizontalAdd(SixBitDot(ql + 4 * stride, qh + 4 * stride, quarter, xv, vnni), SixBitDot(ql + 5 * stride, qh + 5 * stride, quarter, xv, vnni));
                    var d67 = Avx2.HorizontalAdd(SixBitDot(ql + 6 * stride, qh + 6 * stride, quarter, xv, vnni), SixBitDot(ql + 7 * stride, qh + 7 * stride, quarter, xv, vnni));
                    var s0 = Avx2.HorizontalAdd(d01, d23);
                    var s1 = Avx2.HorizontalAdd(d45, d67);
                    // Lower 128 bits: the quarter's first group of 16, upper: its second.
                    var first16 = Avx2.Permute2x128(s0, s1, 0x20);
                    var second16 = Avx2.Permute2x128(s0, s1, 0x31);
                    int g = 8 * half + 2 * quarter;
                    var sc0 = SignedColumn(scaleBytes, g);
                    var sc1 = SignedColumn(scaleBytes, g + 1);
                    f = Fma.MultiplyAdd(Avx.ConvertToVector256Single(first16), dv * Avx.ConvertToVector256Single(sc0), f);
                    f = Fma.MultiplyAdd(Avx.ConvertToVector256Single(second16), dv * Avx.ConvertToVector256Single(sc1), f);
                    (dv * Avx.ConvertToVector256Single(sc0 * thirtyTwo)).Store(offsets + (b * 16 + g) * Rows);
                    (dv * Avx.ConvertToVector256Single(sc1 * thirtyTwo)).Store(offsets + (b * 16 + g + 1) * Rows);
                }
            }
            tile = Fma.MultiplyAdd(f, Vector256.Create(a.Scales[b]), tile);
        }
        for (int g = 0; g < groups; g++)
        {
            tile = Fma.MultiplyAddNegated(Vector256.Load(offsets + g * Rows), Vector256.Create(a.ScaledSums[g]), tile);
        }
        tile.Store(y);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte* RowsFrom(WeightMatrix w, int first, out long stride)
    {
        stride = w.RowBytes;
        return w.RowPointer(first);
    }

    /// <summary>Two rows' nibble dots (low nibbles against xl, high against xh) of rows r and r+1, each pair added horizontally.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void NibbleDots(byte* q, long stride, Vector256<sbyte> xl, Vector256<sbyte> xh, Vector256<byte> low, bool vnni, int r,
        out Vector256<int> lows, out Vector256<int> highs)
    {
        var v0 = Vector256.Load(q + r * stride);
        var v1 = Vector256.Load(q + (r + 1) * stride);
        lows = Avx2.HorizontalAdd(UnsignedDot(v0 & low, xl, vnni), UnsignedDot(v1 & low, xl, vnni));
        highs = Avx2.HorizontalAdd(UnsignedDot(Vector256.ShiftRightLogical(v0.AsUInt16(), 4).AsByte() & low, xh, vnni),
            UnsignedDot(Vector256.ShiftRightLogical(v1.AsUInt16(), 4).AsByte() & low, xh, vnni));
    }

    /// <summary>One row's 32 six-bit values of a quarter of a Q6_K half, dotted with x: int32 lanes of 4 products each.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> SixBitDot(byte* ql, byte* qh, int quarter, Vector256<sbyte> x, bool vnni)
    {
        var l = Vector256.Load(ql);
        var h = Vector256.Load(qh);
        var low = Vector256.Create((byte)0x0F);
        var three = Vector256.Create((byte)3);
        var nibble = quarter < 2 ? l & low : Vector256.ShiftRightLogical(l.AsUInt16(), 4).AsByte() & low;
        var top = Vector256.ShiftRightLogical(h.AsUInt16(), 2 * quarter).AsByte() & three;
        return UnsignedDot(nibble | Vector256.ShiftLeft(top.AsUInt16(), 4).AsByte(), x, vnni);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> UnsignedDot(Vector256<byte> u, Vector256<sbyte> x, bool vnni) =>
        vnni ? AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, u, x)
             : Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u, x), Vector256.Create((short)1));

    /// <summary>Σ w·x of signed bytes with llama.cpp's sign trick: |w| times x with w's sign.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> SignedDot(byte* p, Vector256<sbyte> x, bool vnni)
    {
        var w = Vector256.Load((sbyte*)p);
        return UnsignedDot(Avx2.Abs(w), Avx2.Sign(x, w), vnni);
    }

    /// <summary>Rows 0–3 in s0 and 4–7 in s1, each lane pair split over the two halves: the eight row sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> SumHalves(Vector256<int> s0, Vector256<int> s1) =>
        Avx2.Permute2x128(s0, s1, 0x20) + Avx2.Permute2x128(s0, s1, 0x31);

    /// <summary>Byte <paramref name="index"/> of each row's 16, as floats, one row a lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Column(byte* bytes, int index) =>
        Avx.ConvertToVector256Single(Vector256.Create((int)bytes[index], bytes[16 + index], bytes[32 + index], bytes[48 + index],
            bytes[64 + index], bytes[80 + index], bytes[96 + index], bytes[112 + index]));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> SignedColumn(sbyte* bytes, int index) =>
        Vector256.Create((int)bytes[index], bytes[16 + index], bytes[32 + index], bytes[48 + index],
            bytes[64 + index], bytes[80 + index], bytes[96 + index], bytes[112 + index]);

    /// <summary>Q4_K's twelve bytes of 6-bit scales and minimums as eight scales then eight minimums, one byte each.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void UnpackScales(byte* packed, uint* destination)
    {
        const uint kmask1 = 0x3f3f3f3f, kmask2 = 0x0f0f0f0f, kmask3 = 0x03030303;
        uint u0 = *(uint*)packed, u1 = *(uint*)(packed + 4), u2 = *(uint*)(packed + 8);
        destination[0] = u0 & kmask1;
        destination[1] = (u2 & kmask2) | (((u0 >> 6) & kmask3) << 4);
        destination[2] = u1 & kmask1;
        destination[3] = ((u2 >> 4) & kmask2) | (((u1 >> 6) & kmask3) << 4);
    }
}
