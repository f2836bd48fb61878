using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GgufPs.Inference;

/// <summary>
/// <see cref="Gemv"/>'s kernels for IQ4_NL and IQ4_XS with 128-bit integers: four rows at once, one row a lane in
/// the float steps, which are <see cref="GemvNonLinearAvx2"/>'s, made exact by <see cref="ExactFma"/> where the CPU
/// has no fused multiply-add.
/// </summary>
internal static unsafe class GemvNonLinearVector128
{
    public const int Rows = GemvVector128.Rows;

    private static readonly Vector128<sbyte> Table = Vector128.Create(Quantization.NonLinearQuantizer.Iq4Values);

    /// <summary>y[0..4) for rows [first, first + 4) of an IQ4_NL matrix.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void IQ4_NL(WeightMatrix w, int first, DecodeActivations a, float* y)
    {
        byte* r0 = w.RowPointer(first);
        long stride = w.RowBytes;
        int blocks = w.Columns / 32;
        var table = Table;
        var o = Vector128<float>.Zero;
        for (int b = 0; b < blocks; b++)
        {
            byte* p = r0 + b * 18;
            var c = RowSums(p + 2, stride, a.Values + b * 32, table);
            var dv = HalfVectors.Widened128(Vector128.Create((uint)*(ushort*)p, *(ushort*)(p + stride), *(ushort*)(p + 2 * stride), *(ushort*)(p + 3 * stride)));
            o = ExactFma.MultiplyAdd(Vector128.ConvertToSingle(c), dv * a.Scales[b], o);
        }
        o.Store(y);
    }

    /// <summary>y[0..4) for rows [first, first + 4) of an IQ4_XS matrix.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void IQ4_XS(WeightMatrix w, int first, DecodeActivations a, float* y)
    {
        byte* r0 = w.RowPointer(first);
        long stride = w.RowBytes;
        int blocks = w.Columns / 256;
        var table = Table;
        var tile = Vector128<float>.Zero;
        for (int b = 0; b < blocks; b++)
        {
            byte* p = r0 + b * 136;
            byte* p1 = p + stride, p2 = p + 2 * stride, p3 = p + 3 * stride;
            // One lane a row: d, the scales' high bits, and their low nibbles.
            var dv = HalfVectors.Widened128(Vector128.Create((uint)*(ushort*)p, *(ushort*)p1, *(ushort*)p2, *(ushort*)p3));
            var high = Vector128.Create((uint)*(ushort*)(p + 2), *(ushort*)(p1 + 2), *(ushort*)(p2 + 2), *(ushort*)(p3 + 2));
            var low = Vector128.Create(*(uint*)(p + 4), *(uint*)(p1 + 4), *(uint*)(p2 + 4), *(uint*)(p3 + 4));
            sbyte* x = a.Values + b * 256;
            var f = Vector128<float>.Zero;
            for (int g = 0; g < 8; g++)
            {
                var c = RowSums(p + 8 + 16 * g, stride, x + 32 * g, table);
                var ls = (Vector128.ShiftRightLogical(low, 4 * g) & Vector128.Create(0xFu))
                    | Vector128.ShiftLeft(Vector128.ShiftRightLogical(high, 2 * g) & Vector128.Create(3u), 4);
                var scale = Vector128.ConvertToSingle(ls.AsInt32() - Vector128.Create(32));
                f = ExactFma.MultiplyAdd(Vector128.ConvertToSingle(c), dv * scale, f);
            }
            tile = ExactFma.MultiplyAdd(f, Vector128.Create(a.Scales[b]), tile);
        }
        tile.Store(y);
    }

    /// <summary>The four rows' Σ w·x over the 32 values whose indices are the 16 bytes at <paramref name="q"/> in each row, one row a lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> RowSums(byte* q, long stride, sbyte* x, Vector128<sbyte> table)
    {
        var x0 = Vector128.Load(x);
        var x1 = Vector128.Load(x + 16);
        return GemvVector128.RowSums(Dot(q, x0, x1, table), Dot(q + stride, x0, x1, table), Dot(q + 2 * stride, x0, x1, table), Dot(q + 3 * stride, x0, x1, table));
    }

    /// <summary>One row's 32 values (low nibbles 0–15 against x0, high 16–31 against x1) looked up and dotted.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> Dot(byte* q, Vector128<sbyte> x0, Vector128<sbyte> x1, Vector128<sbyte> table)
    {
        var v = Vector128.Load(q);
        var low = Vector128.Shuffle(table, (v & Vector128.Create((byte)0x0F)).AsSByte());
        var high = Vector128.Shuffle(table, Vector128.ShiftRightLogical(v, 4).AsSByte());
        return GemvVector128.SignedDot(low, x0) + GemvVector128.SignedDot(high, x1);
    }
}
