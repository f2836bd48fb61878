using static GgufPs.Quantization.QuantizerMath;

namespace GgufPs.Quantization;

/// <summary>TQ2_0: ternary weights as 2-bit fields (value + 1), four to a byte, with one F16 scale (66 bytes: qs[64], d).</summary>
internal sealed class TQ2_0BlockFormat : BlockFormat
{
    private const int Qk = 256;
    private const int Bytes = 66;
    private const int DOffset = 64;

    internal TQ2_0BlockFormat() : base(GgmlType.TQ2_0, GgmlType.Q8_K)
    {
    }

    // quantize_row_tq2_0_ref; ggml ignores importance weights here.
    private protected override void QuantizeRow(ReadOnlySpan<float> row, Span<byte> destination, ReadOnlySpan<float> importance)
    {
        for (int i = 0; i < row.Length / Qk; i++)
        {
            var x = row.Slice(i * Qk, Qk);
            var y = destination.Slice(i * Bytes, Bytes);
            float amax = 0;
            for (int j = 0; j < Qk; j++)
            {
                float a = MathF.Abs(x[j]);
                amax = amax > a ? amax : a;
            }
            float d = amax;
            float id = d != 0 ? 1.0f / d : 0.0f;
            WriteHalf(y[DOffset..], d);
            for (int j = 0; j < 64; j += 32)
            {
                for (int m = 0; m < 32; m++)
                {
                    int q = 0;
                    for (int n = 0; n < 4; n++)
                    {
                        int xi = (int)(TQ1_0BlockFormat.LRound(x[4 * j + m + n * 32] * id) + 1);
                        q += (xi & 3) << (2 * n);
                    }
                    y[j + m] = (byte)q;
                }
            }
        }
    }

    private protected override void DequantizeBlocks(ReadOnlySpan<byte> source, Span<float> destination)
    {
        for (int i = 0; i < destination.Length / Qk; i++)
        {
            var x = source.Slice(i * Bytes, Bytes);
            float d = ReadHalf(x[DOffset..]);
            int o = i * Qk;
            for (int j = 0; j < 64; j += 32)
            {
                for (int l = 0; l < 4; l++)
                {
                    for (int m = 0; m < 32; m++)
                    {
                        int q = (x[j + m] >> (l * 2)) & 3;
                        destination[o++] = (float)(q - 1) * d;
                    }
                }
            }
        }
    }
}
