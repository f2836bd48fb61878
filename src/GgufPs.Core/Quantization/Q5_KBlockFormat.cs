using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static GgufPs.Quantization.QuantizerMath;

namespace GgufPs.Quantization;

/// <summary>
/// Q5_K: 256 weights in 8 groups of 32, 5-bit levels (4 low bits plus a high-bit plane) with a 6-bit scale and
/// 6-bit min per group and F16 super-scales (176 bytes: d, dmin, scales[12], qh[32], qs[128]).
/// </summary>
internal sealed class Q5_KBlockFormat : BlockFormat
{
    private const int Qk = 256;
    private const int Bytes = 176;
    private const int ScalesOffset = 4;
    private const int HighOffset = 16;
    private const int LowOffset = 48;

    internal Q5_KBlockFormat() : base(GgmlType.Q5_K, GgmlType.Q8_K)
    {
    }

    public override bool UsesImportance => true;

    // Without importance weights every super-block stands alone, so all rows form one run of super-blocks, two at a time.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private protected override void QuantizeRows(ReadOnlySpan<float> source, int rowCount, int rowLength, Span<byte> destination, ReadOnlySpan<float> importance)
    {
        if (!LaneFitting.IsSupported)
        {
            base.QuantizeRows(source, rowCount, rowLength, destination, importance);
            return;
        }
        Span<Vector512<int>> groups = stackalloc Vector512<int>[32];
        if (!importance.IsEmpty)
        {
            // Importance weights repeat with every row, so the pairs of super-blocks are taken within rows.
            int perRow = rowLength / Qk;
            for (int r = 0; r < rowCount; r++)
            {
                for (int b = 0; b < perRow; b += 2)
                {
                    int count = Math.Min(2, perRow - b);
                    KQuantFitting.FitWeightedLanes(source.Slice(r * rowLength + b * Qk, count * Qk), importance.Slice(b * Qk, count * Qk),
                        destination.Slice((r * perRow + b) * Bytes, count * Bytes), Bytes, count, groups, 31, true);
                    PackLanes(groups, count, destination.Slice((r * perRow + b) * Bytes, count * Bytes));
                }
            }
            return;
        }
        int blocks = source.Length / Qk;
        for (int b = 0; b < blocks; b += 2)
        {
            int count = Math.Min(2, blocks - b);
            KQuantFitting.FitReferenceLanes(source.Slice(b * Qk, count * Qk), destination.Slice(b * Bytes, count * Bytes), Bytes, count, groups, 31, -0.5f, 0.1f, 15);
            PackLanes(groups, count, destination.Slice(b * Bytes, count * Bytes));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private protected override void QuantizeRow(ReadOnlySpan<float> row, Span<byte> destination, ReadOnlySpan<float> importance)
    {
        Span<byte> levels = stackalloc byte[Qk];
        for (int i = 0; i < row.Length / Qk; i++)
        {
            var x = row.Slice(i * Qk, Qk);
            var y = destination.Slice(i * Bytes, Bytes);
            if (importance.IsEmpty)
            {
                KQuantFitting.FitReference(x, y, levels, 31, -0.5f, 0.1f, 15);
            }
            else
            {
                KQuantFitting.FitWeighted(x, y, levels, 31, importance.Slice(i * Qk, Qk), clampScaleLevels: true);
            }
            KQuantFitting.RequantizeFromScales(x, y, levels, 31);
            Pack(levels, y);
        }
    }

    // Groups 2jj and 2jj+1 share bytes 32jj..32jj+31 (low and high nibble) and put their fifth bits in bits 2jj and 2jj+1 of qh.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackLanes(ReadOnlySpan<Vector512<int>> groups, int blockCount, Span<byte> y)
    {
        var fifteen = Vector512.Create(15);
        for (int b = 0; b < blockCount; b++)
        {
            var ql = y.Slice(b * Bytes + LowOffset, Qk / 2);
            var highLow = Vector512<int>.Zero;
            var highHigh = Vector512<int>.Zero;
            for (int jj = 0; jj < 4; jj++)
            {
                int g = 8 * b + 2 * jj;
                for (int half = 0; half < 2; half++)
                {
                    var l1 = groups[16 * half + g];
                    var l2 = groups[16 * half + g + 1];
                    var bits = (Vector512.GreaterThan(l1, fifteen) & Vector512.Create(1 << (2 * jj)))
                        | (Vector512.GreaterThan(l2, fifteen) & Vector512.Create(2 << (2 * jj)));
                    if (half == 0)
                    {
                        highLow |= bits;
                    }
                    else
                    {
                        highHigh |= bits;
                    }
                    LaneFitting.StoreLowBytes((l1 & fifteen) | ((l2 & fifteen) << 4), ql.Slice(32 * jj + 16 * half, 16));
                }
            }
            LaneFitting.StoreLowBytes(highLow, y.Slice(b * Bytes + HighOffset, 16));
            LaneFitting.StoreLowBytes(highHigh, y.Slice(b * Bytes + HighOffset + 16, 16));
        }
    }

    private static void Pack(ReadOnlySpan<byte> levels, Span<byte> y)
    {
        var qh = y.Slice(HighOffset, Qk / 8);
        var ql = y.Slice(LowOffset, Qk / 2);
        qh.Clear();
        byte m1 = 1, m2 = 2;
        for (int n = 0; n < Qk; n += 64)
        {
            for (int j = 0; j < 32; j++)
            {
                int l1 = levels[n + j];
                if (l1 > 15)
                {
                    l1 -= 16;
                    qh[j] |= m1;
                }
                int l2 = levels[n + j + 32];
                if (l2 > 15)
                {
                    l2 -= 16;
                    qh[j] |= m2;
                }
                ql[n / 2 + j] = (byte)(l1 | (l2 << 4));
            }
            m1 <<= 2;
            m2 <<= 2;
        }
    }

    private protected override void DequantizeBlocks(ReadOnlySpan<byte> source, Span<float> destination)
    {
        for (int i = 0; i < destination.Length / Qk; i++)
        {
            var x = source.Slice(i * Bytes, Bytes);
            var y = destination.Slice(i * Qk, Qk);
            float d = ReadHalf(x);
            float min = ReadHalf(x[2..]);
            var scales = x.Slice(ScalesOffset, 12);
            var qh = x.Slice(HighOffset, 32);
            int o = 0;
            byte u1 = 1, u2 = 2;
            for (int j = 0; j < Qk / 64; j++)
            {
                var ql = x.Slice(LowOffset + 32 * j, 32);
                GetScaleMinK4(2 * j, scales, out byte sc, out byte m);
                float d1 = d * sc;
                float m1 = min * m;
                GetScaleMinK4(2 * j + 1, scales, out sc, out m);
                float d2 = d * sc;
                float m2 = min * m;
                for (int l = 0; l < 32; l++)
                {
                    y[o++] = d1 * ((ql[l] & 0xF) + ((qh[l] & u1) != 0 ? 16 : 0)) - m1;
                }
                for (int l = 0; l < 32; l++)
                {
                    y[o++] = d2 * ((ql[l] >> 4) + ((qh[l] & u2) != 0 ? 16 : 0)) - m2;
                }
                u1 <<= 2;
                u2 <<= 2;
            }
        }
    }
}
