using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static GgufPs.Quantization.QuantizerMath;

namespace GgufPs.Quantization;

/// <summary>Q4_0: 32 weights as 4-bit levels around zero with one F16 scale (18 bytes: d, qs[16]).</summary>
internal sealed class Q4_0BlockFormat : BlockFormat
{
    private const int Qk = 32;
    private const int Bytes = 18;

    internal Q4_0BlockFormat() : base(GgmlType.Q4_0, GgmlType.Q8_0)
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
                LaneFitting.QxWeighted(xt, wt, Qk, 8, lt).CopyTo(values);
                for (int g = 0; g < groups; g++)
                {
                    WriteHalf(y.Slice(g * Bytes), values[g]);
                }
                LaneFitting.PackNibbles(lt, groups, y, Bytes, 1, 2);
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
            float d = MakeQxQuants(Qk, 8, xb, levels, 1, weight);
            var block = destination.Slice(ib * 18, 18);
            WriteHalf(block, d);
            for (int j = 0; j < 16; j++)
            {
                block[2 + j] = (byte)((byte)levels[j] | ((byte)levels[j + 16] << 4));
            }
        }
    }

    // quantize_row_q4_0_ref
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
            float d = max / -8;
            float id = d != 0 ? 1.0f / d : 0.0f;
            var block = destination.Slice(ib * Bytes, Bytes);
            WriteHalf(block, d);
            for (int j = 0; j < Qk / 2; j++)
            {
                float x0 = x[j] * id;
                float x1 = x[Qk / 2 + j] * id;
                int xi0 = Math.Min(15, (int)(sbyte)TruncateToInt32(x0 + 8.5f));
                int xi1 = Math.Min(15, (int)(sbyte)TruncateToInt32(x1 + 8.5f));
                block[2 + j] = (byte)((byte)xi0 | (byte)(xi1 << 4));
            }
        }
    }

    // The scalar loop without NaN: amax is the largest magnitude, max the first value that has it.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void QuantizeBlockVector(Vector512<float> low, Vector512<float> high, Span<byte> block)
    {
        float amax = LaneFitting.MaxAcross(Vector512.Abs(low), Vector512.Abs(high));
        float max = amax > 0 ? LaneFitting.ElementOf32(low, high, LaneFitting.FirstIndexOf(Vector512.Abs(low), Vector512.Abs(high), amax)) : 0;
        float d = max / -8;
        var id = Vector512.Create(d != 0 ? 1.0f / d : 0.0f);
        WriteHalf(block, d);
        var cap = Vector512.Create(15);
        var xi0 = Vector512.Min(LaneFitting.LowByteSigned(LaneFitting.TruncateToInt32(low * id + Vector512.Create(8.5f))), cap);
        var xi1 = Vector512.Min(LaneFitting.LowByteSigned(LaneFitting.TruncateToInt32(high * id + Vector512.Create(8.5f))), cap);
        LaneFitting.StoreLowBytes(xi0 | (xi1 << 4), block[2..]);
    }

    private protected override void DequantizeBlocks(ReadOnlySpan<byte> source, Span<float> destination)
    {
        for (int ib = 0; ib < destination.Length / Qk; ib++)
        {
            var block = source.Slice(ib * 18, 18);
            float d = ReadHalf(block);
            var y = destination.Slice(ib * Qk, Qk);
            for (int j = 0; j < Qk / 2; j++)
            {
                int x0 = (block[2 + j] & 0x0F) - 8;
                int x1 = (block[2 + j] >> 4) - 8;
                y[j] = x0 * d;
                y[j + Qk / 2] = x1 * d;
            }
        }
    }
}
