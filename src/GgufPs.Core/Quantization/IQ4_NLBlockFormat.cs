using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static GgufPs.Quantization.QuantizerMath;

namespace GgufPs.Quantization;

/// <summary>IQ4_NL: 32 weights as indices into a 16-entry non-linear grid with one F16 scale (18 bytes: d, qs[16]).</summary>
internal sealed class IQ4_NLBlockFormat : BlockFormat
{
    private const int Qk = 32;
    private const int Bytes = 18;

    internal IQ4_NLBlockFormat() : base(GgmlType.IQ4_NL, GgmlType.Q8_0)
    {
    }

    public override bool UsesImportance => true;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private protected override void QuantizeRows(ReadOnlySpan<float> source, int rowCount, int rowLength, Span<byte> destination, ReadOnlySpan<float> importance)
    {
        if (!LaneFitting.IsSupported)
        {
            base.QuantizeRows(source, rowCount, rowLength, destination, importance);
            return;
        }
        Span<Vector512<float>> xt = stackalloc Vector512<float>[Qk];
        Span<Vector512<float>> qt = stackalloc Vector512<float>[Qk];
        Span<Vector512<float>> wt = stackalloc Vector512<float>[Qk];
        Span<Vector512<int>> lt = stackalloc Vector512<int>[Qk];
        Span<float> scales = stackalloc float[LaneFitting.Lanes];
        int perRow = rowLength / Qk;
        // Blocks stand alone; only their importance weights depend on the column, so runs of 16 stay within a row.
        for (int r = 0; r < rowCount; r++)
        {
            for (int b = 0; b < perRow; b += LaneFitting.Lanes)
            {
                int groups = Math.Min(LaneFitting.Lanes, perRow - b);
                var x = source.Slice(r * rowLength + b * Qk, groups * Qk);
                LaneFitting.Transpose(x, Qk, Qk, groups, xt);
                var sigma2 = Vector512<float>.Zero;
                for (int j = 0; j < Qk; j++)
                {
                    sigma2 += xt[j] * xt[j];
                }
                sigma2 *= Vector512.Create(2.0f / Qk);
                if (!importance.IsEmpty)
                {
                    LaneFitting.Transpose(importance.Slice(b * Qk, groups * Qk), Qk, Qk, groups, qt);
                }
                NonLinearQuantizer.LaneWeights(xt, importance.IsEmpty ? default : qt, sigma2, wt);
                var d = NonLinearQuantizer.SearchScalesLanes(xt, wt);
                var id = Vector512.ConditionalSelect(Vector512.Equals(d, Vector512<float>.Zero), Vector512<float>.Zero, Vector512<float>.One / d);
                for (int j = 0; j < Qk; j++)
                {
                    lt[j] = LaneFitting.BestIndexIq4(id * xt[j]);
                }
                d.CopyTo(scales);
                var y = destination.Slice((r * perRow + b) * Bytes, groups * Bytes);
                for (int g = 0; g < groups; g++)
                {
                    WriteHalf(y.Slice(g * Bytes), scales[g]);
                }
                LaneFitting.PackNibbles(lt, groups, y, Bytes, 1, 2);
            }
        }
    }

    // quantize_iq4_nl: every block searched with ntry = 7, with or without weights.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private protected override void QuantizeRow(ReadOnlySpan<float> row, Span<byte> destination, ReadOnlySpan<float> importance)
    {
        Span<byte> levels = stackalloc byte[Qk];
        for (int ib = 0; ib < row.Length / Qk; ib++)
        {
            var qw = importance.IsEmpty ? default : importance.Slice(ib * Qk, Qk);
            var block = destination.Slice(ib * Bytes, Bytes);
            ushort d = NonLinearQuantizer.Quantize(row.Slice(ib * Qk, Qk), qw, levels, out _, default, 7);
            NonLinearQuantizer.WriteScaleHalf(block, d);
            NonLinearQuantizer.PackNibbles(levels, block[2..]);
        }
    }

    private protected override void DequantizeBlocks(ReadOnlySpan<byte> source, Span<float> destination)
    {
        var values = NonLinearQuantizer.Iq4Values;
        for (int ib = 0; ib < destination.Length / Qk; ib++)
        {
            var block = source.Slice(ib * Bytes, Bytes);
            float d = ReadHalf(block);
            var y = destination.Slice(ib * Qk, Qk);
            for (int j = 0; j < Qk / 2; j++)
            {
                y[j] = d * values[block[2 + j] & 0xf];
                y[j + Qk / 2] = d * values[block[2 + j] >> 4];
            }
        }
    }
}
