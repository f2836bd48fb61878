using System.Runtime.CompilerServices;
using System.Buffers.Binary;
using System.Runtime.Intrinsics;
using static GgufPs.Quantization.QuantizerMath;

namespace GgufPs.Quantization;

/// <summary>
/// IQ4_XS: 256 weights in 8 groups of 32, indices into IQ4_NL's non-linear grid with 6-bit group scales and an F16
/// super-scale (136 bytes: d, scales_h, scales_l[4], qs[128]).
/// </summary>
internal sealed class IQ4_XSBlockFormat : BlockFormat
{
    private const int Qk = 256;
    private const int Bytes = 136;

    internal IQ4_XSBlockFormat() : base(GgmlType.IQ4_XS, GgmlType.Q8_K)
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
        Span<Vector512<float>> xt = stackalloc Vector512<float>[32];
        Span<Vector512<float>> qt = stackalloc Vector512<float>[32];
        Span<Vector512<float>> wt = stackalloc Vector512<float>[32];
        Span<Vector512<int>> lt = stackalloc Vector512<int>[32];
        Span<float> sigma = stackalloc float[LaneFitting.Lanes];
        Span<float> scales = stackalloc float[LaneFitting.Lanes];
        Span<float> inverse = stackalloc float[LaneFitting.Lanes];
        int perRow = rowLength / Qk;
        // Two super-blocks (16 groups of 32) at a time, within a row because importance weights follow the columns.
        for (int r = 0; r < rowCount; r++)
        {
            for (int b = 0; b < perRow; b += 2)
            {
                int count = Math.Min(2, perRow - b);
                int groups = count * 8;
                var x = source.Slice(r * rowLength + b * Qk, count * Qk);
                sigma.Clear();
                for (int s = 0; s < count; s++)
                {
                    float sumX2 = 0;
                    var sb = x.Slice(s * Qk, Qk);
                    for (int j = 0; j < Qk; j++)
                    {
                        sumX2 += sb[j] * sb[j];
                    }
                    sigma.Slice(s * 8, 8).Fill(sumX2 * (2.0f / Qk));
                }
                LaneFitting.Transpose(x, 32, 32, groups, xt);
                if (!importance.IsEmpty)
                {
                    LaneFitting.Transpose(importance.Slice(b * Qk, count * Qk), 32, 32, groups, qt);
                }
                NonLinearQuantizer.LaneWeights(xt, importance.IsEmpty ? default : qt, Vector512.Create<float>(sigma), wt);
                NonLinearQuantizer.SearchScalesLanes(xt, wt).CopyTo(scales);
                inverse.Clear();
                for (int s = 0; s < count; s++)
                {
                    var block = destination.Slice((r * perRow + b + s) * Bytes, Bytes);
                    float maxScale = 0, amaxScale = 0;
                    for (int ib = 0; ib < 8; ib++)
                    {
                        float absD = MathF.Abs(scales[s * 8 + ib]);
                        if (absD > amaxScale)
                        {
                            amaxScale = absD;
                            maxScale = scales[s * 8 + ib];
                        }
                    }
                    float d = -maxScale / 32;
                    NonLinearQuantizer.WriteScaleHalf(block, ToHalf(d));
                    float id = d != 0 ? 1 / d : 0.0f;
                    ushort scalesH = 0;
                    var scalesL = block.Slice(4, 4);
                    for (int ib = 0; ib < 8; ib++)
                    {
                        int l = NearestInt(id * scales[s * 8 + ib]);
                        l = Math.Max(-32, Math.Min(31, l));
                        float dl = d * l;
                        inverse[s * 8 + ib] = dl != 0 ? 1 / dl : 0.0f;
                        l += 32;
                        byte low = (byte)(l & 0xf);
                        if (ib % 2 == 0)
                        {
                            scalesL[ib / 2] = low;
                        }
                        else
                        {
                            scalesL[ib / 2] |= (byte)(low << 4);
                        }
                        scalesH |= (ushort)((l >> 4) << 2 * ib);
                    }
                    BinaryPrimitives.WriteUInt16LittleEndian(block[2..], scalesH);
                }
                var idl = Vector512.Create<float>(inverse);
                for (int j = 0; j < 32; j++)
                {
                    lt[j] = LaneFitting.BestIndexIq4(idl * xt[j]);
                }
                LaneFitting.PackNibbles(lt, groups, destination.Slice((r * perRow + b) * Bytes, count * Bytes), Bytes, 8, 8);
            }
        }
    }

    // quantize_iq4_xs: ntry = 7 with or without weights.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private protected override void QuantizeRow(ReadOnlySpan<float> row, Span<byte> destination, ReadOnlySpan<float> importance)
    {
        Span<byte> levels = stackalloc byte[Qk];
        for (int ibl = 0; ibl < row.Length / Qk; ibl++)
        {
            var qw = importance.IsEmpty ? default : importance.Slice(ibl * Qk, Qk);
            var block = destination.Slice(ibl * Bytes, Bytes);
            ushort d = NonLinearQuantizer.Quantize(row.Slice(ibl * Qk, Qk), qw, levels, out ushort scalesH, block.Slice(4, 4), 7);
            NonLinearQuantizer.WriteScaleHalf(block, d);
            BinaryPrimitives.WriteUInt16LittleEndian(block[2..], scalesH);
            NonLinearQuantizer.PackNibbles(levels, block[8..]);
        }
    }

    private protected override void DequantizeBlocks(ReadOnlySpan<byte> source, Span<float> destination)
    {
        var values = NonLinearQuantizer.Iq4Values;
        for (int i = 0; i < destination.Length / Qk; i++)
        {
            var x = source.Slice(i * Bytes, Bytes);
            float d = ReadHalf(x);
            ushort scalesH = BinaryPrimitives.ReadUInt16LittleEndian(x[2..]);
            var y = destination.Slice(i * Qk, Qk);
            for (int ib = 0; ib < Qk / 32; ib++)
            {
                int ls = ((x[4 + ib / 2] >> 4 * (ib % 2)) & 0xf) | (((scalesH >> 2 * ib) & 3) << 4);
                float dl = d * (ls - 32);
                var qs = x.Slice(8 + 16 * ib, 16);
                var yb = y.Slice(32 * ib, 32);
                for (int j = 0; j < 16; j++)
                {
                    yb[j] = dl * values[qs[j] & 0xf];
                    yb[j + 16] = dl * values[qs[j] >> 4];
                }
            }
        }
    }
}
