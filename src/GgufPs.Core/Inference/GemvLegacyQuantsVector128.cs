using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GgufPs.Inference;

/// <summary>
/// <see cref="Gemv"/>'s kernels for Q4_0, Q4_1, Q5_0 and Q5_1 with 128-bit integers: four rows at once, one row a
/// lane in the float steps, which are <see cref="GemvLegacyQuantsAvx2"/>'s, made exact by <see cref="ExactFma"/>
/// where the CPU has no fused multiply-add.
/// </summary>
internal static unsafe class GemvLegacyQuantsVector128
{
    public const int Rows = GemvVector128.Rows;

    /// <summary>y[0..4) for rows [first, first + 4) of a Q4_0, Q4_1, Q5_0 or Q5_1 matrix.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply(WeightMatrix w, int first, DecodeActivations a, float* y)
    {
        bool minimum = w.Type is GgmlType.Q4_1 or GgmlType.Q5_1;
        bool five = w.Type is GgmlType.Q5_0 or GgmlType.Q5_1;
        byte* r0 = w.RowPointer(first);
        long stride = w.RowBytes;
        int blocks = w.Columns / 32;
        int blockBytes = 18 + (minimum ? 2 : 0) + (five ? 4 : 0);
        int highBits = minimum ? 4 : 2;
        int nibbles = highBits + (five ? 4 : 0);
        int bias = minimum ? 0 : five ? 16 : 8;
        var o = Vector128<float>.Zero;
        for (int b = 0; b < blocks; b++)
        {
            byte* p = r0 + b * blockBytes;
            var x0 = Vector128.Load(a.Values + b * 32);
            var x1 = Vector128.Load(a.Values + b * 32 + 16);
            var c = GemvVector128.RowSums(Dot(p + nibbles, p + highBits, five, x0, x1), Dot(p + stride + nibbles, p + stride + highBits, five, x0, x1),
                Dot(p + 2 * stride + nibbles, p + 2 * stride + highBits, five, x0, x1),
                Dot(p + 3 * stride + nibbles, p + 3 * stride + highBits, five, x0, x1));
            if (bias != 0)
            {
                c -= Vector128.Create(bias * a.Sums[b]);
            }
            var dv = HalfVectors.Widened128(Vector128.Create((uint)*(ushort*)p, *(ushort*)(p + stride), *(ushort*)(p + 2 * stride), *(ushort*)(p + 3 * stride)));
            o = ExactFma.MultiplyAdd(Vector128.ConvertToSingle(c), dv * a.Scales[b], o);
            if (minimum)
            {
                var mv = HalfVectors.Widened128(Vector128.Create((uint)*(ushort*)(p + 2), *(ushort*)(p + stride + 2), *(ushort*)(p + 2 * stride + 2),
                    *(ushort*)(p + 3 * stride + 2)));
                o = ExactFma.MultiplyAdd(mv, Vector128.Create(a.BlockSums[b]), o);
            }
        }
        o.Store(y);
    }

    /// <summary>One row's 32 values (bit 4 of value j from bit j of the word at <paramref name="qh"/> for Q5) dotted with x0, x1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> Dot(byte* q, byte* qh, bool five, Vector128<sbyte> x0, Vector128<sbyte> x1)
    {
        var nibble = Vector128.Create((byte)0x0F);
        var v = Vector128.Load(q);
        var low = v & nibble;
        var high = Vector128.ShiftRightLogical(v, 4);
        if (five)
        {
            var bytes = Vector128.Create(*(uint*)qh).AsByte();
            var mask = Vector128.Create(0x8040201008040201ul).AsByte();
            var sixteen = Vector128.Create((byte)0x10);
            var first = Vector128.Shuffle(bytes, Vector128.Create((byte)0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1)) & mask;
            var second = Vector128.Shuffle(bytes, Vector128.Create((byte)2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3)) & mask;
            low |= Vector128.Equals(first, mask) & sixteen;
            high |= Vector128.Equals(second, mask) & sixteen;
        }
        return GemvVector128.Dot(low, x0) + GemvVector128.Dot(high, x1);
    }
}
