using System.Runtime.CompilerServices;
using System.Buffers.Binary;
using System.Runtime.Intrinsics;
using static GgufPs.Quantization.QuantizerMath;

namespace GgufPs.Quantization;

/// <summary>Q5_0: 32 weights as 5-bit levels around zero with one F16 scale (22 bytes: d, qh[4], qs[16]).</summary>
internal sealed class Q5_0BlockFormat : BlockFormat
{
    private const int Qk = 32;
    private const int Bytes = 22;

    internal Q5_0BlockFormat() : base(GgmlType.Q5_0, GgmlType.Q8_0)
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
                LaneFitting.QxWeighted(xt, wt, Qk, 16, lt).CopyTo(values);
                LaneFitting.HighBits(lt).CopyTo(high);
                for (int j = 0; j < Qk; j++)
                {
                    lt[j] &= Vector512.Create(0x0F);
                }
                for (int g = 0; g < groups; g++)
                {
                    WriteHalf(y.Slice(g * Bytes), values[g]);
                    System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(y.Slice(g * Bytes + 2), high[g]);
                }
                LaneFitting.PackNibbles(lt, groups, y, Bytes, 1, 6);
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
        Span<sbyte> levels = stackalloc sbyte[Qk];
        float sigma2 = SumOfSquares(row) / row.Length;
        for (int ib = 0; ib < row.Length / Qk; ib++)
        {
            var xb = row.Slice(ib * Qk, Qk);
            var qw = importance.Slice(ib * Qk, Qk);
            for (int j = 0; j < Qk; j++)
            {
                weight[j] = qw[j] * MathF.Sqrt(sigma2 + xb[j] * xb[j]);
            }
            float d = MakeQxQuants(Qk, 16, xb, levels, 1, weight);
            var block = destination.Slice(ib * Bytes, Bytes);
            WriteHalf(block, d);
            uint qh = 0;
            for (int j = 0; j < 16; j++)
            {
                byte xi0 = (byte)levels[j];
                byte xi1 = (byte)levels[j + 16];
                block[6 + j] = (byte)((xi0 & 0x0F) | ((xi1 & 0x0F) << 4));
                qh |= ((xi0 & 0x10u) >> 4) << j;
                qh |= ((xi1 & 0x10u) >> 4) << (j + Qk / 2);
            }
            BinaryPrimitives.WriteUInt32LittleEndian(block[2..], qh);
        }
    }

    // quantize_row_q5_0_ref
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void QuantizeReference(ReadOnlySpan<float> row, Span<byte> destination)
    {
        bool vector = LaneFitting.IsSupported;
        for (int ib = 0; ib < row.Length / Qk; ib++)
        {
            var x = row.Slice(ib * Qk, Qk);
            if (vector && LaneFitting.TryLoad32(x, out var low, out var high))
            {
                QuantizeBlockVector(low, high, destination.Slice(ib * Bytes, Bytes));
                continue;
            }
            float amax = 0;
            float max = 0;
            for (int j = 0; j < Qk; j++)
            {
                float v = x[j];
                if (amax < MathF.Abs(v))
                {
                    amax = MathF.Abs(v);
                    max = v;
                }
            }
            float d = max / -16;
            float id = d != 0 ? 1.0f / d : 0.0f;
            var block = destination.Slice(ib * Bytes, Bytes);
            WriteHalf(block, d);
            uint qh = 0;
            for (int j = 0; j < Qk / 2; j++)
            {
                float x0 = x[j] * id;
                float x1 = x[Qk / 2 + j] * id;
                byte xi0 = (byte)Math.Min(31, (int)(sbyte)TruncateToInt32(x0 + 16.5f));
                byte xi1 = (byte)Math.Min(31, (int)(sbyte)TruncateToInt32(x1 + 16.5f));
                block[6 + j] = (byte)((xi0 & 0x0F) | ((xi1 & 0x0F) << 4));
                qh |= ((xi0 & 0x10u) >> 4) << j;
                qh |= ((xi1 & 0x10u) >> 4) << (j + Qk / 2);
            }
            BinaryPrimitives.WriteUInt32LittleEndian(block[2..], qh);
        }
    }

    // The scalar loop without NaN: amax is the largest magnitude, max the first value that has it.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void QuantizeBlockVector(Vector512<float> low, Vector512<float> high, Span<byte> block)
    {
        float amax = LaneFitting.MaxAcross(Vector512.Abs(low), Vector512.Abs(high));
        float max = amax > 0 ? LaneFitting.ElementOf32(low, high, LaneFitting.FirstIndexOf(Vector512.Abs(low), Vector512.Abs(high), amax)) : 0;
        float d = max / -16;
        var id = Vector512.Create(d != 0 ? 1.0f / d : 0.0f);
        WriteHalf(block, d);
        var cap = Vector512.Create(31);
        var xi0 = Vector512.Min(LaneFitting.LowByteSigned(LaneFitting.TruncateToInt32(low * id + Vector512.Create(16.5f))), cap);
        var xi1 = Vector512.Min(LaneFitting.LowByteSigned(LaneFitting.TruncateToInt32(high * id + Vector512.Create(16.5f))), cap);
        var low4 = Vector512.Create(0x0F);
        LaneFitting.StoreLowBytes((xi0 & low4) | ((xi1 & low4) << 4), block[6..]);
        var bit = Vector512.Create(0x10);
        uint qh = (uint)Vector512.Equals(xi0 & bit, bit).ExtractMostSignificantBits() | ((uint)Vector512.Equals(xi1 & bit, bit).ExtractMostSignificantBits() << 16);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(block[2..], qh);
    }

    private protected override void DequantizeBlocks(ReadOnlySpan<byte> source, Span<float> destination)
    {
        for (int ib = 0; ib < destination.Length / Qk; ib++)
        {
            var block = source.Slice(ib * Bytes, Bytes);
            float d = ReadHalf(block);
            uint qh = BinaryPrimitives.ReadUInt32LittleEndian(block[2..]);
            var y = destination.Slice(ib * Qk, Qk);
            for (int j = 0; j < Qk / 2; j++)
            {
                int xh0 = (int)((qh >> j) << 4) & 0x10;
                int xh1 = (int)(qh >> (j + 12)) & 0x10;
                int x0 = ((block[6 + j] & 0x0F) | xh0) - 16;
                int x1 = ((block[6 + j] >> 4) | xh1) - 16;
                y[j] = x0 * d;
                y[j + Qk / 2] = x1 * d;
            }
        }
    }
}
