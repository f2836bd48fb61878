using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GgufPs.Inference;

/// <summary>
/// <see cref="Gemv"/>'s kernels for Q3_K and Q2_K with 256-bit integers (AVX-VNNI's vpdpbusd, or AVX2's vpmaddubsw
/// and vpmaddwd), eight rows at once as in <see cref="GemvAvx2"/>. Both store their values as 2-bit fields spread
/// over the bytes of 32 (Q3_K adds a third bit from its 32-byte mask) in groups of 16: each row's 32 values of a
/// quarter are unpacked to bytes and dotted with the token's in one instruction, the two groups of 16 landing in the
/// two 128-bit halves, and a tree of pair sums gathers eight rows into the lanes of one register. The float
/// steps that follow are <see cref="Int8GemmAvxVnni.KQuantTile"/>'s, one row a lane and in its order: each group's
/// integer sum times d·scale into the block's sum, the block's sum times the token's scale, and for Q2_K the
/// minimums (dmin·m times the token's scaled group sums) taken off after the last block.
/// </summary>
internal static unsafe class GemvLowBitsAvx2
{
    public const int Rows = GemvAvx2.Rows;

    private const int Q3KBytes = 110;

    private const int Q2KBytes = 84;

    /// <summary>Q3_K's values are its 3-bit fields less 4; the token's group sums times 4 come off each group's dot.</summary>
    private const int Q3KBias = 4;

    /// <summary>y[0..8) for rows [first, first + 8) of a Q3_K matrix.</summary>
    public static void Q3_K(WeightMatrix w, int first, DecodeActivations a, float* y, bool vnni)
    {
        if (vnni)
        {
            Q3_K<VnniByteDot256>(w, first, a, y);
        }
        else
        {
            Q3_K<Avx2ByteDot256>(w, first, a, y);
        }
    }

    /// <summary>y[0..8) for rows [first, first + 8) of a Q2_K matrix.</summary>
    public static void Q2_K(WeightMatrix w, int first, DecodeActivations a, float* y, bool vnni)
    {
        if (vnni)
        {
            Q2_K<VnniByteDot256>(w, first, a, y);
        }
        else
        {
            Q2_K<Avx2ByteDot256>(w, first, a, y);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Q3_K<TDot>(WeightMatrix w, int first, DecodeActivations a, float* y) where TDot : struct, IByteDot256
    {
        byte* r0 = w.RowPointer(first);
        long stride = w.RowBytes;
        int blocks = w.Columns / 256;
        var rowOffsets = GemvAvx2.RowOffsets(stride);
        var tile = Vector256<float>.Zero;
        var m1 = Vector256.Create(0x03030303u);
        var m2 = Vector256.Create(0x0f0f0f0fu);
        for (int b = 0; b < blocks; b++)
        {
            byte* p = r0 + b * Q3KBytes;
            GemvAvx2.PrefetchNextGroup(r0, stride, b, Q3KBytes);
            // d is the upper half of the word at 106, which stays inside the block.
            var dv = HalfVectors.Widened256(Vector256.ShiftRightLogical(GemvAvx2.Gather(p + 106, rowOffsets), 16));
            // The sixteen 6-bit scales of each row as llama.cpp's four aux words, one row a lane.
            var a0 = GemvAvx2.Gather(p + 96, rowOffsets);
            var a1 = GemvAvx2.Gather(p + 100, rowOffsets);
            var tmp = GemvAvx2.Gather(p + 104, rowOffsets);
            var scales0 = (a0 & m2) | Vector256.ShiftLeft(tmp & m1, 4);
            var scales1 = (a1 & m2) | Vector256.ShiftLeft(Vector256.ShiftRightLogical(tmp, 2) & m1, 4);
            var scales2 = (Vector256.ShiftRightLogical(a0, 4) & m2) | Vector256.ShiftLeft(Vector256.ShiftRightLogical(tmp, 4) & m1, 4);
            var scales3 = (Vector256.ShiftRightLogical(a1, 4) & m2) | Vector256.ShiftLeft(Vector256.ShiftRightLogical(tmp, 6) & m1, 4);
            sbyte* x = a.Values + b * 256;
            int* sums = a.Sums + b * 16;
            var f = Q3KHalf<TDot>(p + 32, p, stride, x, 0, sums, dv, scales0, scales1, Vector256<float>.Zero);
            f = Q3KHalf<TDot>(p + 64, p, stride, x + 128, 1, sums + 8, dv, scales2, scales3, f);
            tile = Fma.MultiplyAdd(f, Vector256.Create(a.Scales[b]), tile);
        }
        tile.Store(y);
    }

    /// <summary>
    /// Half <paramref name="half"/> of a Q3_K block of eight rows into the block's float sum: values 128·half + 32j +
    /// [0, 32) are bits 2j of the half's 32 bytes with bit 4·half + j of the mask; its eight groups' scales are the four
    /// bytes of <paramref name="low"/> then of <paramref name="high"/>. A call of its own: inlined twice into the block
    /// loop, its temporaries outnumber what the JIT keeps in registers and it spills (about 10% slower).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vector256<float> Q3KHalf<TDot>(byte* q, byte* mask, long stride, sbyte* x, int half, int* sums, Vector256<float> dv,
        Vector256<uint> low, Vector256<uint> high, Vector256<float> f) where TDot : struct, IByteDot256
    {
        f = ThreeBitQuarter<TDot>(q, mask, stride, x, 0, 4 * half, sums, dv, low, 0, f);
        f = ThreeBitQuarter<TDot>(q, mask, stride, x + 32, 2, 4 * half + 1, sums + 2, dv, low, 16, f);
        f = ThreeBitQuarter<TDot>(q, mask, stride, x + 64, 4, 4 * half + 2, sums + 4, dv, high, 0, f);
        return ThreeBitQuarter<TDot>(q, mask, stride, x + 96, 6, 4 * half + 3, sums + 6, dv, high, 16, f);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Q2_K<TDot>(WeightMatrix w, int first, DecodeActivations a, float* y) where TDot : struct, IByteDot256
    {
        byte* r0 = w.RowPointer(first);
        long stride = w.RowBytes;
        int blocks = w.Columns / 256;
        // Each block's dmin and four words of scale bytes, one row a lane: the minimums come off after the last block,
        // as in the batched tile, and that chain of dependent multiply-adds, bound by their latency, has room for
        // the products dmin·m, which would otherwise take the block loop's issue slots.
        Vector256<uint>* minimums = stackalloc Vector256<uint>[blocks * 5];
        var rowOffsets = GemvAvx2.RowOffsets(stride);
        var tile = Vector256<float>.Zero;
        for (int b = 0; b < blocks; b++)
        {
            byte* p = r0 + b * Q2KBytes;
            GemvAvx2.PrefetchNextGroup(r0, stride, b, Q2KBytes);
            var dd = GemvAvx2.Gather(p + 80, rowOffsets);
            var dv = HalfVectors.Widened256(dd & Vector256.Create(0xFFFFu));
            var mv = HalfVectors.Widened256(Vector256.ShiftRightLogical(dd, 16));
            // Group g's scale (low nibble) and minimum (high nibble) are byte g % 4 of word g / 4, one row a lane.
            var scales0 = GemvAvx2.Gather(p, rowOffsets);
            var scales1 = GemvAvx2.Gather(p + 4, rowOffsets);
            var scales2 = GemvAvx2.Gather(p + 8, rowOffsets);
            var scales3 = GemvAvx2.Gather(p + 12, rowOffsets);
            sbyte* x = a.Values + b * 256;
            var f = Q2KHalf<TDot>(p + 16, stride, x, dv, scales0, scales1, Vector256<float>.Zero);
            f = Q2KHalf<TDot>(p + 48, stride, x + 128, dv, scales2, scales3, f);
            Vector256<uint>* m = minimums + b * 5;
            m[0] = mv.AsUInt32();
            m[1] = scales0;
            m[2] = scales1;
            m[3] = scales2;
            m[4] = scales3;
            tile = Fma.MultiplyAdd(f, Vector256.Create(a.Scales[b]), tile);
        }
        for (int b = 0; b < blocks; b++)
        {
            Vector256<uint>* m = minimums + b * 5;
            var mv = m[0].AsSingle();
            float* q = a.ScaledSums + b * 16;
            tile = SubtractMinimums(tile, mv, m[1], q);
            tile = SubtractMinimums(tile, mv, m[2], q + 4);
            tile = SubtractMinimums(tile, mv, m[3], q + 8);
            tile = SubtractMinimums(tile, mv, m[4], q + 12);
        }
        tile.Store(y);
    }

    /// <summary>
    /// A Q2_K half of eight rows into the block's float sum, its eight groups' scales in <paramref name="low"/> and
    /// <paramref name="high"/>; a call of its own, as <see cref="Q3KHalf"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vector256<float> Q2KHalf<TDot>(byte* q, long stride, sbyte* x, Vector256<float> dv, Vector256<uint> low, Vector256<uint> high,
        Vector256<float> f) where TDot : struct, IByteDot256
    {
        f = TwoBitQuarter<TDot>(q, stride, x, 0, dv, low, 0, f);
        f = TwoBitQuarter<TDot>(q, stride, x + 32, 2, dv, low, 16, f);
        f = TwoBitQuarter<TDot>(q, stride, x + 64, 4, dv, high, 0, f);
        return TwoBitQuarter<TDot>(q, stride, x + 96, 6, dv, high, 16, f);
    }

    /// <summary>
    /// tile − (dmin·m)·(d_a·Σa) for the four groups whose scale bytes are <paramref name="words"/> (minimums in the high
    /// nibbles), in group order, the token's scaled group sums from <paramref name="q"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> SubtractMinimums(Vector256<float> tile, Vector256<float> mv, Vector256<uint> words, float* q)
    {
        tile = Fma.MultiplyAddNegated(mv * NibbleOf(words, 4), Vector256.Create(q[0]), tile);
        tile = Fma.MultiplyAddNegated(mv * NibbleOf(words, 12), Vector256.Create(q[1]), tile);
        tile = Fma.MultiplyAddNegated(mv * NibbleOf(words, 20), Vector256.Create(q[2]), tile);
        return Fma.MultiplyAddNegated(mv * NibbleOf(words, 28), Vector256.Create(q[3]), tile);
    }

    /// <summary>
    /// A quarter of a Q3_K half for the eight rows into the block's float sum: each row's 32 values (bits
    /// <paramref name="shift"/> of the half's bytes, bit <paramref name="bit"/> of the mask as 4) dotted with the
    /// token's, the row sums gathered into rows 0–3 and 4–7, each register's lower half the first group of 16, the
    /// upper half the second, then the two groups' float steps. Each row's bytes are loaded again per quarter (from
    /// the L1): keeping all four quarters' values in registers spills them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> ThreeBitQuarter<TDot>(byte* q, byte* mask, long stride, sbyte* x, int shift, int bit, int* sums,
        Vector256<float> dv, Vector256<uint> scales, int scaleShift, Vector256<float> f) where TDot : struct, IByteDot256
    {
        var xv = Vector256.Load(x);
        var d01 = PairSums(ThreeBitDot<TDot>(q, mask, shift, bit, xv), ThreeBitDot<TDot>(q + stride, mask + stride, shift, bit, xv));
        var d23 = PairSums(ThreeBitDot<TDot>(q + 2 * stride, mask + 2 * stride, shift, bit, xv),
            ThreeBitDot<TDot>(q + 3 * stride, mask + 3 * stride, shift, bit, xv));
        var d45 = PairSums(ThreeBitDot<TDot>(q + 4 * stride, mask + 4 * stride, shift, bit, xv),
            ThreeBitDot<TDot>(q + 5 * stride, mask + 5 * stride, shift, bit, xv));
        var d67 = PairSums(ThreeBitDot<TDot>(q + 6 * stride, mask + 6 * stride, shift, bit, xv),
            ThreeBitDot<TDot>(q + 7 * stride, mask + 7 * stride, shift, bit, xv));
        return ThreeBitGroups(PairSums(d01, d23), PairSums(d45, d67), dv, scales, scaleShift, f, sums);
    }

    /// <summary>One row's 32 values of a Q3_K quarter as unsigned 3-bit bytes (the stored value plus 4), dotted with x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> ThreeBitDot<TDot>(byte* q, byte* mask, int shift, int bit, Vector256<sbyte> x) where TDot : struct, IByteDot256
    {
        var u = Vector256.ShiftRightLogical(Vector256.Load(q).AsUInt16(), shift).AsByte() & Vector256.Create((byte)3);
        // 16-bit shifts: the masks keep, in each byte, only bits that came from the same byte.
        var h = Vector256.Load(mask).AsUInt16();
        var high = bit >= 2 ? Vector256.ShiftRightLogical(h, bit - 2) : Vector256.ShiftLeft(h, 2 - bit);
        return TDot.Dot(u | (high.AsByte() & Vector256.Create((byte)4)), x);
    }

    /// <summary>A quarter of a Q2_K half for the eight rows into the block's float sum, as <see cref="ThreeBitQuarter"/> for Q3_K.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> TwoBitQuarter<TDot>(byte* q, long stride, sbyte* x, int shift, Vector256<float> dv, Vector256<uint> scales,
        int scaleShift, Vector256<float> f) where TDot : struct, IByteDot256
    {
        var xv = Vector256.Load(x);
        var d01 = PairSums(TwoBitDot<TDot>(q, shift, xv), TwoBitDot<TDot>(q + stride, shift, xv));
        var d23 = PairSums(TwoBitDot<TDot>(q + 2 * stride, shift, xv), TwoBitDot<TDot>(q + 3 * stride, shift, xv));
        var d45 = PairSums(TwoBitDot<TDot>(q + 4 * stride, shift, xv), TwoBitDot<TDot>(q + 5 * stride, shift, xv));
        var d67 = PairSums(TwoBitDot<TDot>(q + 6 * stride, shift, xv), TwoBitDot<TDot>(q + 7 * stride, shift, xv));
        return TwoBitGroups(PairSums(d01, d23), PairSums(d45, d67), dv, scales, scaleShift, f);
    }

    /// <summary>One row's 32 values of a Q2_K quarter (bits <paramref name="shift"/> of the half's bytes) dotted with x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> TwoBitDot<TDot>(byte* q, int shift, Vector256<sbyte> x) where TDot : struct, IByteDot256 =>
        TDot.Dot(Vector256.ShiftRightLogical(Vector256.Load(q).AsUInt16(), shift).AsByte() & Vector256.Create((byte)3), x);

    /// <summary>
    /// vphaddd's result, [x0+x1, x2+x3, y0+y1, y2+y3] in each 128-bit half, in two instructions instead of three
    /// (one shuffle instead of two): every lane here is a sum of at most 8 products of a value below 8 and a byte of
    /// magnitude at most 127, so it packs to int16 unsaturated, and pmaddwd against ones adds the pairs back to int32.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> PairSums(Vector256<int> x, Vector256<int> y) =>
        Avx2.MultiplyAddAdjacent(Avx2.PackSignedSaturate(x, y), Vector256.Create((short)1));

    /// <summary>
    /// A Q3_K quarter's two groups of 16 from its row sums (rows 0–3 in s0, 4–7 in s1; each register's lower half the
    /// first group, the upper the second), less 4 times the token's group sums, into the block's float sum.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> ThreeBitGroups(Vector256<int> s0, Vector256<int> s1, Vector256<float> dv, Vector256<uint> scales, int shift,
        Vector256<float> f, int* sums)
    {
        var first16 = Avx2.Permute2x128(s0, s1, 0x20) - Vector256.Create(Q3KBias * sums[0]);
        var second16 = Avx2.Permute2x128(s0, s1, 0x31) - Vector256.Create(Q3KBias * sums[1]);
        var sc0 = ByteOf(scales, shift) - Vector256.Create(32);
        var sc1 = ByteOf(scales, shift + 8) - Vector256.Create(32);
        f = Fma.MultiplyAdd(Avx.ConvertToVector256Single(first16), dv * Avx.ConvertToVector256Single(sc0), f);
        return Fma.MultiplyAdd(Avx.ConvertToVector256Single(second16), dv * Avx.ConvertToVector256Single(sc1), f);
    }

    /// <summary>A Q2_K quarter's two groups of 16 (laid out as for Q3_K), each times d·scale, into the block's float sum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> TwoBitGroups(Vector256<int> s0, Vector256<int> s1, Vector256<float> dv, Vector256<uint> scales, int shift,
        Vector256<float> f)
    {
        var first16 = Avx2.Permute2x128(s0, s1, 0x20);
        var second16 = Avx2.Permute2x128(s0, s1, 0x31);
        f = Fma.MultiplyAdd(Avx.ConvertToVector256Single(first16), dv * NibbleOf(scales, shift), f);
        return Fma.MultiplyAdd(Avx.ConvertToVector256Single(second16), dv * NibbleOf(scales, shift + 8), f);
    }

    /// <summary>The unsigned byte at bit <paramref name="shift"/> of each lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> ByteOf(Vector256<uint> words, int shift) =>
        (Vector256.ShiftRightLogical(words, shift) & Vector256.Create(0xFFu)).AsInt32();

    /// <summary>The 4-bit field at bit <paramref name="shift"/> of each lane, as floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> NibbleOf(Vector256<uint> words, int shift) =>
        Avx.ConvertToVector256Single((Vector256.ShiftRightLogical(words, shift) & Vector256.Create(0xFu)).AsInt32());
}
