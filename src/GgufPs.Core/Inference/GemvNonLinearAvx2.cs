using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GgufPs.Inference;

/// <summary>
/// <see cref="Gemv"/>'s kernels for the non-linear 4-bit types, IQ4_NL (blocks of 32, the token in Q8_0) and IQ4_XS
/// (blocks of 256 in groups of 32 with 6-bit scales, the token in Q8_K), with 256-bit integers, eight rows at once as
/// in <see cref="GemvAvx2"/>. Each 4-bit index becomes its signed table value with one byte shuffle, and meets the
/// token's bytes with llama.cpp's sign trick (|w| times x with w's sign), which gives Σ w·a on AVX2 as on AVX-VNNI.
/// The float steps are the batched tiles': per block d_w·d_a times the integer sum for IQ4_NL
/// (<see cref="Int8GemmAvxVnni.BlockTile"/>), and for IQ4_XS each group's sum times d·(ls − 32) into the block's
/// sum, which then takes the token's scale (<see cref="Int8GemmAvxVnni.KQuantTile"/>).
/// </summary>
internal static unsafe class GemvNonLinearAvx2
{
    public const int Rows = GemvAvx2.Rows;

    /// <summary>IQ4_NL's sixteen values in both 128-bit halves, for vpshufb.</summary>
    private static readonly Vector256<sbyte> Table = Vector256.Create(Vector128.Create(Quantization.NonLinearQuantizer.Iq4Values));

    /// <summary>y[0..8) for rows [first, first + 8) of an IQ4_NL matrix.</summary>
    public static void IQ4_NL(WeightMatrix w, int first, DecodeActivations a, float* y, bool vnni)
    {
        if (vnni)
        {
            IQ4_NL<VnniByteDot256>(w, first, a, y);
        }
        else
        {
            IQ4_NL<Avx2ByteDot256>(w, first, a, y);
        }
    }

    /// <summary>y[0..8) for rows [first, first + 8) of an IQ4_XS matrix.</summary>
    public static void IQ4_XS(WeightMatrix w, int first, DecodeActivations a, float* y, bool vnni)
    {
        if (vnni)
        {
            IQ4_XS<VnniByteDot256>(w, first, a, y);
        }
        else
        {
            IQ4_XS<Avx2ByteDot256>(w, first, a, y);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void IQ4_NL<TDot>(WeightMatrix w, int first, DecodeActivations a, float* y) where TDot : struct, IByteDot256
    {
        byte* r0 = w.RowPointer(first);
        long stride = w.RowBytes;
        int blocks = w.Columns / 32;
        var rowOffsets = GemvAvx2.RowOffsets(stride);
        var table = Table;
        var o = Vector256<float>.Zero;
        for (int b = 0; b < blocks; b++)
        {
            byte* p = r0 + b * 18;
            GemvAvx2.PrefetchNextGroup(r0, stride, b, 18);
            // d is the low half of each row's first word; the rest are values.
            var dv = HalfVectors.Widened256(GemvAvx2.Gather(p, rowOffsets) & Vector256.Create(0xFFFFu));
            var c = RowSums<TDot>(p + 2, stride, Vector256.Load(a.Values + b * 32), table);
            o = Fma.MultiplyAdd(Avx.ConvertToVector256Single(c), dv * a.Scales[b], o);
        }
        o.Store(y);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void IQ4_XS<TDot>(WeightMatrix w, int first, DecodeActivations a, float* y) where TDot : struct, IByteDot256
    {
        byte* r0 = w.RowPointer(first);
        long stride = w.RowBytes;
        int blocks = w.Columns / 256;
        var rowOffsets = GemvAvx2.RowOffsets(stride);
        var table = Table;
        var tile = Vector256<float>.Zero;
        for (int b = 0; b < blocks; b++)
        {
            byte* p = r0 + b * 136;
            GemvAvx2.PrefetchNextGroup(r0, stride, b, 136);
            // d and the scales' high bits in each row's first word, the scales' low nibbles in the second.
            var dh = GemvAvx2.Gather(p, rowOffsets);
            var low = GemvAvx2.Gather(p + 4, rowOffsets);
            var dv = HalfVectors.Widened256(dh & Vector256.Create(0xFFFFu));
            var high = Vector256.ShiftRightLogical(dh, 16);
            sbyte* x = a.Values + b * 256;
            var f = Vector256<float>.Zero;
            for (int g = 0; g < 8; g++)
            {
                var c = RowSums<TDot>(p + 8 + 16 * g, stride, Vector256.Load(x + 32 * g), table);
                var ls = (Vector256.ShiftRightLogical(low, 4 * g) & Vector256.Create(0xFu))
                    | Vector256.ShiftLeft(Vector256.ShiftRightLogical(high, 2 * g) & Vector256.Create(3u), 4);
                var scale = Avx.ConvertToVector256Single(ls.AsInt32() - Vector256.Create(32));
                f = Fma.MultiplyAdd(Avx.ConvertToVector256Single(c), dv * scale, f);
            }
            tile = Fma.MultiplyAdd(f, Vector256.Create(a.Scales[b]), tile);
        }
        tile.Store(y);
    }

    /// <summary>The eight rows' Σ w·x over the 32 values whose indices are the 16 bytes at <paramref name="q"/> in each row, one row a lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> RowSums<TDot>(byte* q, long stride, Vector256<sbyte> x, Vector256<sbyte> table) where TDot : struct, IByteDot256
    {
        var h01 = Avx2.HorizontalAdd(Dot<TDot>(q, x, table), Dot<TDot>(q + stride, x, table));
        var h23 = Avx2.HorizontalAdd(Dot<TDot>(q + 2 * stride, x, table), Dot<TDot>(q + 3 * stride, x, table));
        var h45 = Avx2.HorizontalAdd(Dot<TDot>(q + 4 * stride, x, table), Dot<TDot>(q + 5 * stride, x, table));
        var h67 = Avx2.HorizontalAdd(Dot<TDot>(q + 6 * stride, x, table), Dot<TDot>(q + 7 * stride, x, table));
        var s0 = Avx2.HorizontalAdd(h01, h23);
        var s1 = Avx2.HorizontalAdd(h45, h67);
        return Avx2.Permute2x128(s0, s1, 0x20) + Avx2.Permute2x128(s0, s1, 0x31);
    }

    /// <summary>One row's 32 values (low nibbles 0–15, high 16–31) looked up and dotted with x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Dot<TDot>(byte* q, Vector256<sbyte> x, Vector256<sbyte> table) where TDot : struct, IByteDot256
    {
        var v = Vector128.Load(q);
        var indices = Vector256.Create(v, Vector128.ShiftRightLogical(v.AsUInt16(), 4).AsByte()) & Vector256.Create((byte)0x0F);
        var values = Avx2.Shuffle(table, indices.AsSByte());
        return TDot.Dot(Avx2.Abs(values), Avx2.Sign(x, values));
    }
}
