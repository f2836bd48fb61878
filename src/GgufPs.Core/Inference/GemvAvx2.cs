using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GgufPs.Inference;

/// <summary>
/// <see cref="Gemv"/>'s kernels with 256-bit integers: AVX-VNNI's vpdpbusd where the CPU has it, otherwise AVX2's
/// vpmaddubsw and vpmaddwd, which give the same integers. Eight rows go at once: each row's bytes are multiplied
/// by the token's in their stored order, and the lanes are summed (by horizontal adds, or for Q4_K and Q5_K by
/// packing to 16 bits) into each group's eight row sums in the eight lanes of one register, so the float steps that
/// follow run one row a lane, exactly as the batched tiles do.
/// </summary>
internal static unsafe class GemvAvx2
{
    public const int Rows = 8;

    /// <summary>y[0..8) for rows [first, first + 8) of a Q8_0 matrix.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q8_0(WeightMatrix w, int first, DecodeActivations a, float* y, bool vnni)
    {
        if (vnni)
        {
            Q8_0<VnniByteDot256>(w, first, a, y);
        }
        else
        {
            Q8_0<Avx2ByteDot256>(w, first, a, y);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Q8_0<TDot>(WeightMatrix w, int first, DecodeActivations a, float* y) where TDot : struct, IByteDot256
    {
        byte* r0 = RowsFrom(w, first, out long stride);
        int blocks = w.Columns / 32;
        var o = Vector256<float>.Zero;
        ushort* halves = stackalloc ushort[Rows];
        for (int b = 0; b < blocks; b++)
        {
            byte* p = r0 + b * 34;
            PrefetchNextGroup(r0, stride, b, 34);
            var x = Vector256.Load(a.Values + b * 32);
            var h01 = Avx2.HorizontalAdd(SignedDot<TDot>(p + 2, x), SignedDot<TDot>(p + stride + 2, x));
            var h23 = Avx2.HorizontalAdd(SignedDot<TDot>(p + 2 * stride + 2, x), SignedDot<TDot>(p + 3 * stride + 2, x));
            var h45 = Avx2.HorizontalAdd(SignedDot<TDot>(p + 4 * stride + 2, x), SignedDot<TDot>(p + 5 * stride + 2, x));
            var h67 = Avx2.HorizontalAdd(SignedDot<TDot>(p + 6 * stride + 2, x), SignedDot<TDot>(p + 7 * stride + 2, x));
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

    /// <summary>
    /// The same for Q4_K: groups of 32 with 6-bit scales and minimums, the minimums subtracted at the end. Each
    /// register holds half a group of two rows four apart, so a group's dot leaves four lanes a row, not eight; the
    /// lanes of the eight rows are then summed by packing pairs of registers to 16 bits (the sums fit) and adding
    /// neighbours with pmaddwd, which leaves each row's sum in its own lane in three steps and no cross-lane shuffle.
    /// </summary>
    public static void Q4_K(WeightMatrix w, int first, DecodeActivations a, float* y, bool vnni) => KQuant32(w, first, a, y, vnni, five: false);

    /// <summary>The same for Q5_K: Q4_K's steps, each value's fifth bit from the block's 32 bytes of high bits.</summary>
    public static void Q5_K(WeightMatrix w, int first, DecodeActivations a, float* y, bool vnni) => KQuant32(w, first, a, y, vnni, five: true);

    private static void KQuant32(WeightMatrix w, int first, DecodeActivations a, float* y, bool vnni, bool five)
    {
        if (vnni)
        {
            KQuant32<VnniByteDot256>(w, first, a, y, five);
        }
        else
        {
            KQuant32<Avx2ByteDot256>(w, first, a, y, five);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void KQuant32<TDot>(WeightMatrix w, int first, DecodeActivations a, float* y, bool five) where TDot : struct, IByteDot256
    {
        byte* r0 = RowsFrom(w, first, out long stride);
        int blocks = w.Columns / 256;
        int groups = blocks * 8;
        float* offsets = stackalloc float[groups * Rows];
        var rowOffsets = RowOffsets(stride);
        var tile = Vector256<float>.Zero;
        var kmask1 = Vector256.Create(0x3f3f3f3fu);
        var kmask2 = Vector256.Create(0x0f0f0f0fu);
        var kmask3 = Vector256.Create(0x03030303u);
        for (int b = 0; b < blocks; b++)
        {
            byte* p = r0 + b * (five ? 176 : 144);
            PrefetchNextGroup(r0, stride, b, five ? 176 : 144);
            // One lane a row: d and dmin, then the twelve bytes of scales as llama.cpp's utmp words.
            var dd = Gather(p, rowOffsets);
            var dv = HalfVectors.Widened256(dd & Vector256.Create(0xFFFFu));
            var mv = HalfVectors.Widened256(Vector256.ShiftRightLogical(dd, 16));
            var u0 = Gather(p + 4, rowOffsets);
            var u1 = Gather(p + 8, rowOffsets);
            var u2 = Gather(p + 12, rowOffsets);
            var scalesLow = u0 & kmask1;
            var scalesHigh = (u2 & kmask2) | Vector256.ShiftLeft(Vector256.ShiftRightLogical(u0, 6) & kmask3, 4);
            var minsLow = u1 & kmask1;
            var minsHigh = (Vector256.ShiftRightLogical(u2, 4) & kmask2) | Vector256.ShiftLeft(Vector256.ShiftRightLogical(u1, 6) & kmask3, 4);
            sbyte* x = a.Values + b * 256;
            var f = Vector256<float>.Zero;
            for (int j = 0; j < 4; j++)
            {
                byte* q = p + (five ? 48 : 16) + 32 * j;
                sbyte* xj = x + 64 * j;
                var xl0 = Avx2.BroadcastVector128ToVector256(xj);
                var xl1 = Avx2.BroadcastVector128ToVector256(xj + 16);
                var xh0 = Avx2.BroadcastVector128ToVector256(xj + 32);
                var xh1 = Avx2.BroadcastVector128ToVector256(xj + 48);
                RowPairDots<TDot>(q, p + 16, stride, five, j, xl0, xl1, xh0, xh1, out var l0, out var h0);
                RowPairDots<TDot>(q + stride, p + 16 + stride, stride, five, j, xl0, xl1, xh0, xh1, out var l1, out var h1);
                RowPairDots<TDot>(q + 2 * stride, p + 16 + 2 * stride, stride, five, j, xl0, xl1, xh0, xh1, out var l2, out var h2);
                RowPairDots<TDot>(q + 3 * stride, p + 16 + 3 * stride, stride, five, j, xl0, xl1, xh0, xh1, out var l3, out var h3);
                var cl = RowSums(l0, l1, l2, l3, five);
                var ch = RowSums(h0, h1, h2, h3, five);
                var words = j < 2 ? scalesLow : scalesHigh;
                int shift = 16 * (j & 1);
                f = Fma.MultiplyAdd(Avx.ConvertToVector256Single(cl), dv * ByteOf(words, shift), f);
                f = Fma.MultiplyAdd(Avx.ConvertToVector256Single(ch), dv * ByteOf(words, shift + 8), f);
            }
            float* o = offsets + b * 8 * Rows;
            for (int g = 0; g < 4; g++)
            {
                (mv * ByteOf(minsLow, 8 * g)).Store(o + g * Rows);
                (mv * ByteOf(minsHigh, 8 * g)).Store(o + (4 + g) * Rows);
            }
            tile = Fma.MultiplyAdd(f, Vector256.Create(a.Scales[b]), tile);
        }
        for (int g = 0; g < groups; g++)
        {
            tile = Fma.MultiplyAddNegated(Vector256.Load(offsets + g * Rows), Vector256.Create(a.ScaledSums[g]), tile);
        }
        tile.Store(y);
    }

    /// <summary>
    /// The low-nibble group (against xl0, xl1) and the high-nibble group (xh0, xh1) of the 32 bytes at q, for the
    /// row at q in the lower lanes and the row four below it in the upper ones: four lanes a row, each a sum of eight
    /// products. For Q5_K each nibble takes bit 2j (low) or 2j + 1 (high) of the row's high-bit byte at qh as its fifth.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowPairDots<TDot>(byte* q, byte* qh, long stride, bool five, int j, Vector256<sbyte> xl0, Vector256<sbyte> xl1,
        Vector256<sbyte> xh0, Vector256<sbyte> xh1, out Vector256<int> lows, out Vector256<int> highs) where TDot : struct, IByteDot256
    {
        var low = Vector256.Create((byte)0x0F);
        var v0 = Vector256.Create(Vector128.Load(q), Vector128.Load(q + 4 * stride));
        var v1 = Vector256.Create(Vector128.Load(q + 16), Vector128.Load(q + 4 * stride + 16));
        var l0 = v0 & low;
        var l1 = v1 & low;
        var u0 = HighNibbles(v0);
        var u1 = HighNibbles(v1);
        if (five)
        {
            var h0 = Vector256.Create(Vector128.Load(qh), Vector128.Load(qh + 4 * stride)).AsUInt16();
            var h1 = Vector256.Create(Vector128.Load(qh + 16), Vector128.Load(qh + 4 * stride + 16)).AsUInt16();
            var one = Vector256.Create((byte)1);
            // 16-bit shifts: the masks keep, in each byte, only bits that came from the same byte.
            l0 |= Vector256.ShiftLeft((Vector256.ShiftRightLogical(h0, 2 * j).AsByte() & one).AsUInt16(), 4).AsByte();
            l1 |= Vector256.ShiftLeft((Vector256.ShiftRightLogical(h1, 2 * j).AsByte() & one).AsUInt16(), 4).AsByte();
            u0 |= Vector256.ShiftLeft((Vector256.ShiftRightLogical(h0, 2 * j + 1).AsByte() & one).AsUInt16(), 4).AsByte();
            u1 |= Vector256.ShiftLeft((Vector256.ShiftRightLogical(h1, 2 * j + 1).AsByte() & one).AsUInt16(), 4).AsByte();
        }
        lows = TDot.DotAdd(TDot.Dot(l0, xl0), l1, xl1);
        highs = TDot.DotAdd(TDot.Dot(u0, xh0), u1, xh1);
    }

    /// <summary>Each byte shifted right by four: one GFNI affine transform where the CPU has it, else a shift and a mask.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> HighNibbles(Vector256<byte> v) => Gfni.V256.IsSupported
        ? Gfni.V256.GaloisFieldAffineTransform(v, Vector256.Create(0x1020408000000000ul).AsByte(), 0)
        : Vector256.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & Vector256.Create((byte)0x0F);

    /// <summary>
    /// The eight row sums of four registers from <see cref="RowPairDots{TDot}"/> (rows r and r + 4 in the r-th), in
    /// row order. Each lane's sum of eight products of a weight and a Q8_K byte (at most 8·31·128) fits in 16 bits,
    /// and for Q4_K (8·15·128) the sum of two of them does too; Q5_K's last step adds in 32 bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> RowSums(Vector256<int> s0, Vector256<int> s1, Vector256<int> s2, Vector256<int> s3, bool five)
    {
        var ones = Vector256.Create((short)1);
        var s01 = Avx2.MultiplyAddAdjacent(Avx2.PackSignedSaturate(s0, s1), ones);
        var s23 = Avx2.MultiplyAddAdjacent(Avx2.PackSignedSaturate(s2, s3), ones);
        return five ? Avx2.HorizontalAdd(s01, s23) : Avx2.MultiplyAddAdjacent(Avx2.PackSignedSaturate(s01, s23), ones);
    }

    /// <summary>The same for Q6_K: groups of 16 with signed 8-bit scales, each group's dot Σ(u − 32)·a in integers.</summary>
    public static void Q6_K(WeightMatrix w, int first, DecodeActivations a, float* y, bool vnni)
    {
        if (vnni)
        {
            Q6_K<VnniByteDot256>(w, first, a, y);
        }
        else
        {
            Q6_K<Avx2ByteDot256>(w, first, a, y);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Q6_K<TDot>(WeightMatrix w, int first, DecodeActivations a, float* y) where TDot : struct, IByteDot256
    {
        byte* r0 = RowsFrom(w, first, out long stride);
        int blocks = w.Columns / 256;
        var rowOffsets = RowOffsets(stride);
        var tile = Vector256<float>.Zero;
        Vector256<uint>* scaleWords = stackalloc Vector256<uint>[4];
        for (int b = 0; b < blocks; b++)
        {
            byte* p = r0 + b * 210;
            PrefetchNextGroup(r0, stride, b, 210);
            // d is the upper half of the word at 206, which stays inside the block.
            var dv = HalfVectors.Widened256(Vector256.ShiftRightLogical(Gather(p + 206, rowOffsets), 16));
            for (int i = 0; i < 4; i++)
            {
                scaleWords[i] = Gather(p + 192 + 4 * i, rowOffsets);
            }
            sbyte* x = a.Values + b * 256;
            var f = Vector256<float>.Zero;
            for (int half = 0; half < 2; half++)
            {
                // Values n0 + [0, 32), +32, +64, +96: the four quarters of a half, each two groups of 16.
                int n0 = 128 * half;
                byte* ql = p + n0 / 2;
                byte* qh = p + 128 + n0 / 4;
                var x0 = Vector256.Load(x + n0);
                var x1 = Vector256.Load(x + n0 + 32);
                var x2 = Vector256.Load(x + n0 + 64);
                var x3 = Vector256.Load(x + n0 + 96);
                SixBitDots<TDot>(ql, qh, stride, 0, x0, x1, x2, x3, out var a0, out var a1, out var a2, out var a3);
                SixBitDots<TDot>(ql, qh, stride, 2, x0, x1, x2, x3, out var b0, out var b1, out var b2, out var b3);
                SixBitDots<TDot>(ql, qh, stride, 4, x0, x1, x2, x3, out var c0, out var c1, out var c2, out var c3);
                SixBitDots<TDot>(ql, qh, stride, 6, x0, x1, x2, x3, out var d0, out var d1, out var d2, out var d3);
                int g = 8 * half;
                f = SixBitGroups(Avx2.HorizontalAdd(a0, b0), Avx2.HorizontalAdd(c0, d0), dv, scaleWords, g, f, a.Sums + b * 16 + g);
                f = SixBitGroups(Avx2.HorizontalAdd(a1, b1), Avx2.HorizontalAdd(c1, d1), dv, scaleWords, g + 2, f, a.Sums + b * 16 + g + 2);
                f = SixBitGroups(Avx2.HorizontalAdd(a2, b2), Avx2.HorizontalAdd(c2, d2), dv, scaleWords, g + 4, f, a.Sums + b * 16 + g + 4);
                f = SixBitGroups(Avx2.HorizontalAdd(a3, b3), Avx2.HorizontalAdd(c3, d3), dv, scaleWords, g + 6, f, a.Sums + b * 16 + g + 6);
            }
            tile = Fma.MultiplyAdd(f, Vector256.Create(a.Scales[b]), tile);
        }
        tile.Store(y);
    }

    /// <summary>
    /// Asks for the b-th of the next eight rows' bytes into the L2, as many as eight blocks of
    /// <paramref name="blockBytes"/>: the group a worker usually takes next, whole by the time this one ends. A
    /// group's rows are contiguous, but read eight blocks a row apart they hide the stream from the hardware
    /// prefetcher, and rows of a few kilobytes end before it catches up: asking a group ahead keeps enough reads in
    /// flight (a third more weight bytes a second from DRAM on one thread for Q4_K, a seventh for Q6_K). Past the
    /// matrix's end it is harmless.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void PrefetchNextGroup(byte* first, long stride, int block, int blockBytes)
    {
        byte* next = first + Rows * stride + block * Rows * blockBytes;
        for (int offset = 0; offset < Rows * blockBytes; offset += 64)
        {
            Sse.Prefetch1(next + offset);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte* RowsFrom(WeightMatrix w, int first, out long stride)
    {
        stride = w.RowBytes;
        return w.RowPointer(first);
    }

    /// <summary>
    /// Rows r and r+1 of a Q6_K half: the four quarters' 32 six-bit values of each row dotted with x0..x3, the two
    /// rows' lanes added horizontally. The low nibbles and high bits are read once for all four quarters.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SixBitDots<TDot>(byte* ql, byte* qh, long stride, int r, Vector256<sbyte> x0, Vector256<sbyte> x1, Vector256<sbyte> x2,
        Vector256<sbyte> x3, out Vector256<int> q0, out Vector256<int> q1, out Vector256<int> q2, out Vector256<int> q3)
        where TDot : struct, IByteDot256
    {
        SixBitValues(ql + r * stride, qh + r * stride, out var u0, out var u1, out var u2, out var u3);
        SixBitValues(ql + (r + 1) * stride, qh + (r + 1) * stride, out var v0, out var v1, out var v2, out var v3);
        q0 = Avx2.HorizontalAdd(TDot.Dot(u0, x0), TDot.Dot(v0, x0));
        q1 = Avx2.HorizontalAdd(TDot.Dot(u1, x1), TDot.Dot(v1, x1));
        q2 = Avx2.HorizontalAdd(TDot.Dot(u2, x2), TDot.Dot(v2, x2));
        q3 = Avx2.HorizontalAdd(TDot.Dot(u3, x3), TDot.Dot(v3, x3));
    }

    /// <summary>One row's 128 six-bit values of a half, as four quarters of 32 (ggml's order).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SixBitValues(byte* ql, byte* qh, out Vector256<byte> u0, out Vector256<byte> u1, out Vector256<byte> u2, out Vector256<byte> u3)
    {
        var nibble = Vector256.Create((byte)0x0F);
        var top = Vector256.Create((byte)0x30);
        var l0 = Vector256.Load(ql);
        var l1 = Vector256.Load(ql + 32);
        var h = Vector256.Load(qh).AsUInt16();
        // 16-bit shifts move each byte's bits within the byte for every bit the masks keep.
        u0 = (l0 & nibble) | (Vector256.ShiftLeft(h, 4).AsByte() & top);
        u1 = (l1 & nibble) | (Vector256.ShiftLeft(h, 2).AsByte() & top);
        u2 = (Vector256.ShiftRightLogical(l0.AsUInt16(), 4).AsByte() & nibble) | (h.AsByte() & top);
        u3 = (Vector256.ShiftRightLogical(l1.AsUInt16(), 4).AsByte() & nibble) | (Vector256.ShiftRightLogical(h, 2).AsByte() & top);
    }

    /// <summary>
    /// A quarter's two groups of 16 from its row sums (rows 0–3 in s0, 4–7 in s1; each register's lower half the
    /// first group, the upper the second), less 32 times the token's group sums, into the block's float sum.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> SixBitGroups(Vector256<int> s0, Vector256<int> s1, Vector256<float> dv, Vector256<uint>* scaleWords, int g,
        Vector256<float> f, int* sums)
    {
        var first16 = Avx2.Permute2x128(s0, s1, 0x20) - Vector256.Create(32 * sums[0]);
        var second16 = Avx2.Permute2x128(s0, s1, 0x31) - Vector256.Create(32 * sums[1]);
        var sc0 = SignedByteOf(scaleWords[g >> 2], 8 * (g & 3));
        var sc1 = SignedByteOf(scaleWords[(g + 1) >> 2], 8 * ((g + 1) & 3));
        f = Fma.MultiplyAdd(Avx.ConvertToVector256Single(first16), dv * Avx.ConvertToVector256Single(sc0), f);
        return Fma.MultiplyAdd(Avx.ConvertToVector256Single(second16), dv * Avx.ConvertToVector256Single(sc1), f);
    }

    /// <summary>Σ w·x of signed bytes with llama.cpp's sign trick: |w| times x with w's sign.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> SignedDot<TDot>(byte* p, Vector256<sbyte> x) where TDot : struct, IByteDot256
    {
        var w = Vector256.Load((sbyte*)p);
        return TDot.Dot(Avx2.Abs(w), Avx2.Sign(x, w));
    }

    /// <summary>Rows 0–3 in s0 and 4–7 in s1, each lane pair split over the two halves: the eight row sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> SumHalves(Vector256<int> s0, Vector256<int> s1) =>
        Avx2.Permute2x128(s0, s1, 0x20) + Avx2.Permute2x128(s0, s1, 0x31);

    /// <summary>The distances of eight consecutive rows from the first, for gathers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<int> RowOffsets(long stride) => Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) * (int)stride;

    /// <summary>The 32-bit word at <paramref name="p"/> in each of the eight rows, one row a lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<uint> Gather(byte* p, Vector256<int> rowOffsets) => Avx2.GatherVector256((uint*)p, rowOffsets, 1);

    /// <summary>The unsigned byte at bit <paramref name="shift"/> of each lane, as floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> ByteOf(Vector256<uint> words, int shift) =>
        Avx.ConvertToVector256Single((Vector256.ShiftRightLogical(words, shift) & Vector256.Create(0xFFu)).AsInt32());

    /// <summary>The signed byte at bit <paramref name="shift"/> of each lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> SignedByteOf(Vector256<uint> words, int shift) =>
        Vector256.ShiftRightArithmetic(Vector256.ShiftLeft(words, 24 - shift).AsInt32(), 24);

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
