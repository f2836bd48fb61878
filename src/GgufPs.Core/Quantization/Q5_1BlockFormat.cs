using System.Runtime.CompilerServices;
using System.Buffers.Binary;
using System.Runtime.Intrinsics;
using static GgufPs.Quantization.QuantizerMath;

namespace GgufPs.Quantization;

/// <summary>Q5_1: 32 weights as 5-bit levels above a minimum, with F16 scale and min (24 bytes: d, m, qh[4], qs[16]).</summary>
internal sealed class Q5_1BlockFormat : BlockFormat
{
    private const int Qk = 32;
    private const int Bytes = 24;

    internal Q5_1BlockFormat() : base(GgmlType.Q5_1, GgmlType.Q8_1)
    {
    }

    public override bool UsesImportance => true;

    // With importance weights, blocks go 16 at a time within each row (the weights follow the columns).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private protected override void QuantizeRows(ReadOnlySpan<float> source, int rowCount, int rowLength, Span<byte> destination, ReadOnlySpan<float> importance)
    {
        if (importance.IsEmpty || !LaneFitting.IsSupported)
        {
            base.QuantizeRows(source, rowCount, rowLength, destination, importance);
            return;
        }
        Span<Vector512<float>> xt = stackalloc Vector512<float>[Qk];
        Span<Vector512<float>> wt = stackalloc Vector512<float>[Qk];
        Span<Vector512<int>> lt = stackalloc Vector512<int>[Qk];
        Span<float> values = stackalloc float[LaneFitting.Lanes];
        Span<float> offsets = stackalloc float[LaneFitting.Lanes];
        Span<int> high = stackalloc int[LaneFitting.Lanes];
        int perRow = rowLength / Qk;
        for (int r = 0; r < rowCount; r++)
        {
            var row = source.Slice(r * rowLength, rowLength);
            var sigma2 = Vector512.Create(SumOfSquares(row) / row.Length);
            for (int b = 0; b < perRow; b += LaneFitting.Lanes)
            {
                int groups = Math.Min(LaneFitting.Lanes, perRow - b);
                LaneFitting.Transpose(row.Slice(b * Qk, groups * Qk), Qk, Qk, groups, xt);
                LaneFitting.Transpose(importance.Slice(b * Qk, groups * Qk), Qk, Qk, groups, wt);
                for (int j = 0; j < Qk; j++)
                {
                    wt[j] *= Vector512.Sqrt(sigma2 + xt[j] * xt[j]);
                }
                var y = destination.Slice((r * perRow + b) * Bytes, groups * Bytes);
                LaneFitting.Qkx3(xt, wt, Qk, 31, lt, out var d, out var min, -0.9f, 0.05f, 36, false);
                d.CopyTo(values);
                (-min).CopyTo(offsets);
                LaneFitting.HighBits(lt).CopyTo(high);
                for (int j = 0; j < Qk; j++)
                {
                    lt[j] &= Vector512.Create(0x0F);
                }
                for (int g = 0; g < groups; g++)
                {
                    WriteHalf(y.Slice(g * Bytes), values[g]);
                    WriteHalf(y.Slice(g * Bytes + 2), offsets[g]);
                    System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(y.Slice(g * Bytes + 4), high[g]);
                }
                LaneFitting.PackNibbles(lt, groups, y, Bytes, 1, 8);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private protected override void QuantizeRow(ReadOnlySpan<float> row, Span<byte> destination, ReadOnlySpan<float> importance)
    {
        if (importance.IsEmpty)
        {
            QuantizeReference(row, destination);
            return;
        }
        Span<float> weight = stackalloc float[Qk];
        Span<byte> levels = stackalloc byte[Qk];
        Span<byte> scratch = stackalloc byte[Qk];
        float sigma2 = SumOfSquares(row) / row.Length;
        for (int ib = 0; ib < row.Length / Qk; ib++)
        {
            var xb = row.Slice(ib * Qk, Qk);
            var qw = importance.Slice(ib * Qk, Qk);
            for (int j = 0; j < Qk; j++)
            {
                weight[j] = qw[j] * MathF.Sqrt(sigma2 + xb[j] * xb[j]);
            }
            float d = MakeQkx3Quants(Qk, 31, xb, weight, levels, out float min, scratch, -0.9f, 0.05f, 36, false);
            var block = destination.Slice(ib * Bytes, Bytes);
            WriteHalf(block, d);
            WriteHalf(block[2..], -min);
            WriteQuants(levels, block);
        }
    }

    // quantize_row_q5_1_ref
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void QuantizeReference(ReadOnlySpan<float> row, Span<byte> destination)
    {
        Span<byte> levels = stackalloc byte[Qk];
        bool vector = LaneFitting.IsSupported;
        for (int ib = 0; ib < row.Length / Qk; ib++)
        {
            var x = row.Slice(ib * Qk, Qk);
            if (vector && LaneFitting.TryLoad32(x, out var low, out var high))
            {
                QuantizeBlockVector(low, high, destination.Slice(ib * Bytes, Bytes));
                continue;
            }
            float min = float.MaxValue;
            float max = -float.MaxValue;
            for (int j = 0; j < Qk; j++)
            {
                float v = x[j];
                if (v < min)
                {
                    min = v;
                }
                if (v > max)
                {
                    max = v;
                }
            }
            float d = (max - min) / ((1 << 5) - 1);
            float id = d != 0 ? 1.0f / d : 0.0f;
            var block = destination.Slice(ib * Bytes, Bytes);
            WriteHalf(block, d);
            WriteHalf(block[2..], min);
            for (int j = 0; j < Qk; j++)
            {
                levels[j] = (byte)TruncateToInt32((x[j] - min) * id + 0.5f);
            }
            WriteQuants(levels, block);
        }
    }

    private static void WriteQuants(ReadOnlySpan<byte> levels, Span<byte> block)
    {
        uint qh = 0;
        for (int j = 0; j < 16; j++)
        {
            byte xi0 = levels[j];
            byte xi1 = levels[j + 16];
            block[8 + j] = (byte)((xi0 & 0x0F) | ((xi1 & 0x0F) << 4));
            qh |= ((xi0 & 0x10u) >> 4) << j;
            qh |= ((xi1 & 0x10u) >> 4) << (j + Qk / 2);
        }
        BinaryPrimitives.WriteUInt32LittleEndian(block[4..], qh);
    }

    // The scalar loop without NaN: the extremes start at ±FLT_MAX, and a zero extreme keeps the sign of the first zero.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void QuantizeBlockVector(Vector512<float> low, Vector512<float> high, Span<byte> block)
    {
        float min = Extreme(low, high, LaneFitting.MinAcross(low, high), float.MaxValue, smallest: true);
        float max = Extreme(low, high, LaneFitting.MaxAcross(low, high), -float.MaxValue, smallest: false);
        float d = (max - min) / ((1 << 5) - 1);
        var id = Vector512.Create(d != 0 ? 1.0f / d : 0.0f);
        WriteHalf(block, d);
        WriteHalf(block[2..], min);
        var minVector = Vector512.Create(min);
        var half = Vector512.Create(0.5f);
        var xi0 = LaneFitting.TruncateToInt32((low - minVector) * id + half) & Vector512.Create(0xFF);
        var xi1 = LaneFitting.TruncateToInt32((high - minVector) * id + half) & Vector512.Create(0xFF);
        var low4 = Vector512.Create(0x0F);
        LaneFitting.StoreLowBytes((xi0 & low4) | ((xi1 & low4) << 4), block[8..]);
        var bit = Vector512.Create(0x10);
        uint qh = (uint)Vector512.Equals(xi0 & bit, bit).ExtractMostSignificantBits() | ((uint)Vector512.Equals(xi1 & bit, bit).ExtractMostSignificantBits() << 16);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(block[4..], qh);
    }

    private static float Extreme(Vector512<float> low, Vector512<float> high, float value, float start, bool smallest)
    {
        if (smallest ? !(value < start) : !(value > start))
        {
            return start;
        }
        return value == 0 ? LaneFitting.ElementOf32(low, high, LaneFitting.FirstIndexOf(low, high, 0f)) : value;
    }

    private protected override void DequantizeBlocks(ReadOnlySpan<byte> source, Span<float> destination)
    {
        for (int ib = 0; ib < destination.Length / Qk; ib++)
        {
            var block = source.Slice(ib * Bytes, Bytes);
            float d = ReadHalf(block);
            float m = ReadHalf(block[2..]);
            uint qh = BinaryPrimitives.ReadUInt32LittleEndian(block[4..]);
            var y = destination.Slice(ib * Qk, Qk);
            for (int j = 0; j < Qk / 2; j++)
            {
                int xh0 = (int)((qh >> j) << 4) & 0x10;
                int xh1 = (int)(qh >> (j + 12)) & 0x10;
                int x0 = (block[8 + j] & 0x0F) | xh0;
                int x1 = (block[8 + j] >> 4) | xh1;
                y[j] = x0 * d + m;
                y[j + Qk / 2] = x1 * d + m;
            }
        }
    }
}
