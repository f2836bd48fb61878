using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static GgufPs.Quantization.QuantizerMath;

namespace GgufPs.Quantization;

/// <summary>
/// Q4_K: 256 weights in 8 groups of 32, 4-bit levels with a 6-bit scale and 6-bit min per group and F16
/// super-scales (144 bytes: d, dmin, scales[12], qs[128]).
/// </summary>
internal sealed class Q4_KBlockFormat : BlockFormat
{
    private const int Qk = 256;
    private const int Bytes = 144;
    private const int ScalesOffset = 4;
    private const int QuantsOffset = 16;

    internal Q4_KBlockFormat() : base(GgmlType.Q4_K, GgmlType.Q8_K)
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
                        destination.Slice((r * perRow + b) * Bytes, count * Bytes), Bytes, count, groups, 15, false);
                    PackLanes(groups, count, destination.Slice((r * perRow + b) * Bytes, count * Bytes));
                }
            }
            return;
        }
        int blocks = source.Length / Qk;
        for (int b = 0; b < blocks; b += 2)
        {
            int count = Math.Min(2, blocks - b);
            KQuantFitting.FitReferenceLanes(source.Slice(b * Qk, count * Qk), destination.Slice(b * Bytes, count * Bytes), Bytes, count, groups, 15, -1.0f, 0.1f, 20);
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
                KQuantFitting.FitReference(x, y, levels, 15, -1.0f, 0.1f, 20);
            }
            else
            {
                KQuantFitting.FitWeighted(x, y, levels, 15, importance.Slice(i * Qk, Qk), clampScaleLevels: false);
            }
            KQuantFitting.RequantizeFromScales(x, y, levels, 15);
            Pack(levels, y);
        }
    }

    // Group 2jj fills the low nibbles of bytes 32jj..32jj+31, group 2jj+1 the high nibbles.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackLanes(ReadOnlySpan<Vector512<int>> groups, int blockCount, Span<byte> y)
    {
        for (int b = 0; b < blockCount; b++)
        {
            var q = y.Slice(b * Bytes + QuantsOffset, Qk / 2);
            for (int jj = 0; jj < 4; jj++)
            {
                int g = 8 * b + 2 * jj;
                LaneFitting.StoreLowBytes(groups[g] | (groups[g + 1] << 4), q.Slice(32 * jj, 16));
                LaneFitting.StoreLowBytes(groups[16 + g] | (groups[16 + g + 1] << 4), q.Slice(32 * jj + 16, 16));
            }
        }
    }

    private static void Pack(ReadOnlySpan<byte> levels, Span<byte> y)
    {
        var q = y.Slice(QuantsOffset, Qk / 2);
        for (int j = 0; j < Qk / 64; j++)
        {
            for (int l = 0; l < 32; l++)
            {
                q[32 * j + l] = (byte)(levels[64 * j + l] | (levels[64 * j + l + 32] << 4));
            }
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
            int o = 0;
            for (int j = 0; j < Qk / 64; j++)
            {
                var q = x.Slice(QuantsOffset + 32 * j, 32);
                GetScaleMinK4(2 * j, scales, out byte sc, out byte m);
                float d1 = d * sc;
                float m1 = min * m;
                GetScaleMinK4(2 * j + 1, scales, out sc, out m);
                float d2 = d * sc;
                float m2 = min * m;
                for (int l = 0; l < 32; l++)
                {
                    y[o++] = d1 * (q[l] & 0xF) - m1;
                }
                for (int l = 0; l < 32; l++)
                {
                    y[o++] = d2 * (q[l] >> 4) - m2;
                }
            }
        }
    }
}
