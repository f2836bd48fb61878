using static GgufPs.Quantization.QuantizerMath;

namespace GgufPs.Quantization;

/// <summary>IQ4_NL: 32 weights as indices into a 16-entry non-linear grid with one F16 scale (18 bytes: d, qs[16]).</summary>
public sealed class IQ4_NLBlockFormat : BlockFormat
{
    private const int Qk = 32;
    private const int Bytes = 18;

    internal IQ4_NLBlockFormat() : base(GgmlType.IQ4_NL, GgmlType.Q8_0)
    {
    }

    public override bool UsesImportance => true;

    // quantize_iq4_nl: every block searched with ntry = 7, with or without weights.
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
