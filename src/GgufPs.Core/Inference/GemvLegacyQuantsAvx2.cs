using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GgufPs.Inference;

/// <summary>
/// <see cref="Gemv"/>'s kernels for llama.cpp's legacy blocks of 32 with a 4-bit or 5-bit value (Q4_0, Q4_1, Q5_0,
/// Q5_1) with 256-bit integers (AVX-VNNI's vpdpbusd, or AVX2's vpmaddubsw and vpmaddwd), eight rows at once as in
/// <see cref="GemvAvx2"/>: each row's 32 values are unpacked to bytes and dotted with the token's Q8_0 block in one
/// instruction, and a tree of pair sums gathers the eight rows into the lanes of one register. The float steps that
/// follow are <see cref="Int8GemmAvxVnni.BlockTile"/>'s, one row a lane: d_w·d_a times the block's Σ(u − bias)·a,
/// plus, for Q4_1 and Q5_1, the minimum times the token's Q8_1 block sum.
/// </summary>
internal static unsafe class GemvLegacyQuantsAvx2
{
    public const int Rows = GemvAvx2.Rows;

    /// <summary>y[0..8) for rows [first, first + 8) of a Q4_0, Q4_1, Q5_0 or Q5_1 matrix.</summary>
    public static void Multiply(WeightMatrix w, int first, DecodeActivations a, float* y, bool vnni)
    {
        switch (w.Type, vnni)
        {
            case (GgmlType.Q4_0, true): Blocks<VnniByteDot256>(w, first, a, y, minimum: false, five: false); break;
            case (GgmlType.Q4_0, false): Blocks<Avx2ByteDot256>(w, first, a, y, minimum: false, five: false); break;
            case (GgmlType.Q4_1, true): Blocks<VnniByteDot256>(w, first, a, y, minimum: true, five: false); break;
            case (GgmlType.Q4_1, false): Blocks<Avx2ByteDot256>(w, first, a, y, minimum: true, five: false); break;
            case (GgmlType.Q5_0, true): Blocks<VnniByteDot256>(w, first, a, y, minimum: false, five: true); break;
            case (GgmlType.Q5_0, false): Blocks<Avx2ByteDot256>(w, first, a, y, minimum: false, five: true); break;
            case (GgmlType.Q5_1, true): Blocks<VnniByteDot256>(w, first, a, y, minimum: true, five: true); break;
            default: Blocks<Avx2ByteDot256>(w, first, a, y, minimum: true, five: true); break;
        }
    }

    /// <summary>
    /// The blocks: d (and m) first, then (Q5) 32 fifth bits, then 16 bytes of nibbles, the low ones values 0–15, the
    /// high ones 16–31. Q4_0 and Q5_0 store u − 8 and u − 16; the token's block sum times the bias comes off the dot.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Blocks<TDot>(WeightMatrix w, int first, DecodeActivations a, float* y, bool minimum, bool five)
        where TDot : struct, IByteDot256
    {
        byte* r0 = w.RowPointer(first);
        long stride = w.RowBytes;
        int blocks = w.Columns / 32;
        int blockBytes = 18 + (minimum ? 2 : 0) + (five ? 4 : 0);
        int highBits = minimum ? 4 : 2;
        int nibbles = highBits + (five ? 4 : 0);
        int bias = minimum ? 0 : five ? 16 : 8;
        var rowOffsets = GemvAvx2.RowOffsets(stride);
        var o = Vector256<float>.Zero;
        for (int b = 0; b < blocks; b++)
        {
            byte* p = r0 + b * blockBytes;
            GemvAvx2.PrefetchNextGroup(r0, stride, b, blockBytes);
            // d in the low half of each row's first word, m (Q4_1, Q5_1) in the high half.
            var dm = GemvAvx2.Gather(p, rowOffsets);
            var x = Vector256.Load(a.Values + b * 32);
            var d01 = PairSums(Dot<TDot>(p + nibbles, p + highBits, five, x), Dot<TDot>(p + stride + nibbles, p + stride + highBits, five, x));
            var d23 = PairSums(Dot<TDot>(p + 2 * stride + nibbles, p + 2 * stride + highBits, five, x),
                Dot<TDot>(p + 3 * stride + nibbles, p + 3 * stride + highBits, five, x));
            var d45 = PairSums(Dot<TDot>(p + 4 * stride + nibbles, p + 4 * stride + highBits, five, x),
                Dot<TDot>(p + 5 * stride + nibbles, p + 5 * stride + highBits, five, x));
            var d67 = PairSums(Dot<TDot>(p + 6 * stride + nibbles, p + 6 * stride + highBits, five, x),
                Dot<TDot>(p + 7 * stride + nibbles, p + 7 * stride + highBits, five, x));
            var s0 = PairSums(d01, d23);
            var s1 = PairSums(d45, d67);
            var c = Avx2.Permute2x128(s0, s1, 0x20) + Avx2.Permute2x128(s0, s1, 0x31);
            if (bias != 0)
            {
                c -= Vector256.Create(bias * a.Sums[b]);
            }
            var dv = HalfVectors.Widened256(dm & Vector256.Create(0xFFFFu));
            o = Fma.MultiplyAdd(Avx.ConvertToVector256Single(c), dv * a.Scales[b], o);
            if (minimum)
            {
                o = Fma.MultiplyAdd(HalfVectors.Widened256(Vector256.ShiftRightLogical(dm, 16)), Vector256.Create(a.BlockSums[b]), o);
            }
        }
        o.Store(y);
    }

    /// <summary>One row's 32 values (bit 4 of value j from bit j of the word at <paramref name="qh"/> for Q5) dotted with x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Dot<TDot>(byte* q, byte* qh, bool five, Vector256<sbyte> x) where TDot : struct, IByteDot256
    {
        var v = Vector128.Load(q);
        var u = Vector256.Create(v, Vector128.ShiftRightLogical(v.AsUInt16(), 4).AsByte()) & Vector256.Create((byte)0x0F);
        if (five)
        {
            // Byte j / 8 of the word in the lane of value j, then each lane's own bit tested.
            var bits = Vector256.Create(*(uint*)qh).AsByte();
            var spread = Avx2.Shuffle(bits, Vector256.Create((byte)0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3));
            var mask = Vector256.Create(0x8040201008040201ul).AsByte();
            u |= Vector256.Equals(spread & mask, mask) & Vector256.Create((byte)0x10);
        }
        return TDot.Dot(u, x);
    }

    /// <summary>
    /// vphaddd's result in two instructions instead of three, as in <see cref="GemvLowBitsAvx2"/>: every lane here is
    /// a sum of at most 8 products of a value below 32 and a byte of magnitude at most 127 (31 496), so it packs to
    /// int16 unsaturated.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> PairSums(Vector256<int> x, Vector256<int> y) =>
        Avx2.MultiplyAddAdjacent(Avx2.PackSignedSaturate(x, y), Vector256.Create((short)1));
}
