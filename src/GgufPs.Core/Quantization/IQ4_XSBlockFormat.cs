using System.Buffers.Binary;
using static GgufPs.Quantization.QuantizerMath;

namespace GgufPs.Quantization;

/// <summary>
/// IQ4_XS: 256 weights in 8 groups of 32, indices into IQ4_NL's non-linear grid with 6-bit group scales and an F16
/// super-scale (136 bytes: d, scales_h, scales_l[4], qs[128]).
/// </summary>
public sealed class IQ4_XSBlockFormat : BlockFormat
{
    private const int Qk = 256;
    private const int Bytes = 136;

    internal IQ4_XSBlockFormat() : base(GgmlType.IQ4_XS, GgmlType.Q8_K)
    {
    }

    public override bool UsesImportance => true;

    // quantize_iq4_xs: ntry = 7 with or without weights.
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
