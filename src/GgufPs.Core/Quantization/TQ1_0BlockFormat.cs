using static GgufPs.Quantization.QuantizerMath;

namespace GgufPs.Quantization;

/// <summary>
/// TQ1_0: ternary weights (BitNet b1.58, TriLMs), 256 as base-3 digits, five to a byte in qs[48] and four (plus a
/// spare digit) to a byte in qh[4], with one F16 scale (54 bytes: qs, qh, d).
/// </summary>
internal sealed class TQ1_0BlockFormat : BlockFormat
{
    private const int Qk = 256;
    private const int Bytes = 54;
    private const int QhOffset = 48;
    private const int DOffset = 52;
    private static ReadOnlySpan<byte> PowersOf3 => [1, 3, 9, 27, 81, 243];

    internal TQ1_0BlockFormat() : base(GgmlType.TQ1_0, GgmlType.Q8_K)
    {
    }

    // quantize_row_tq1_0_ref; ggml ignores importance weights here.
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
            // 32 bytes of five digits each, with their digits 32 apart, then 16 bytes with digits 16 apart.
            for (int m = 0; m < 32; m++)
            {
                y[m] = Pack(x[m..], 32, 5, id);
            }
            for (int m = 0; m < 16; m++)
            {
                y[32 + m] = Pack(x[(160 + m)..], 16, 5, id);
            }
            // Four digits per qh byte, 4 apart, shifted up one digit so the byte uses the same decoding.
            for (int j = 0; j < 4; j++)
            {
                y[QhOffset + j] = Pack(x[(240 + j)..], 4, 4, id, shiftOne: true);
            }
        }
    }

    // Digits are x·id rounded (lroundf) plus one; the byte holds them as a fraction of 3^5 (ceil(q·256/243)).
    private static byte Pack(ReadOnlySpan<float> x, int stride, int digits, float id, bool shiftOne = false)
    {
        byte q = 0;
        for (int n = 0; n < digits; n++)
        {
            int xi = (int)(LRound(x[n * stride] * id) + 1);
            q = (byte)(q * 3);
            q = (byte)(q + xi);
        }
        if (shiftOne)
        {
            q = (byte)(q * 3);
        }
        return (byte)((q * 256 + (243 - 1)) / 243);
    }

    /// <summary>lroundf as glibc computes it on x86-64: halves away from zero, LONG_MIN for NaN and out-of-range values.</summary>
    internal static long LRound(float value)
    {
        float r = MathF.Round(value, MidpointRounding.AwayFromZero);
        return r >= -9.223372E+18f && r < 9.223372E+18f ? (long)r : long.MinValue;
    }

    private protected override void DequantizeBlocks(ReadOnlySpan<byte> source, Span<float> destination)
    {
        var pow3 = PowersOf3;
        for (int i = 0; i < destination.Length / Qk; i++)
        {
            var x = source.Slice(i * Bytes, Bytes);
            float d = ReadHalf(x[DOffset..]);
            int o = i * Qk;
            for (int n = 0; n < 5; n++)
            {
                for (int m = 0; m < 32; m++)
                {
                    destination[o++] = Digit(x[m], pow3[n]) * d;
                }
            }
            for (int n = 0; n < 5; n++)
            {
                for (int m = 0; m < 16; m++)
                {
                    destination[o++] = Digit(x[32 + m], pow3[n]) * d;
                }
            }
            for (int n = 0; n < 4; n++)
            {
                for (int j = 0; j < 4; j++)
                {
                    destination[o++] = Digit(x[QhOffset + j], pow3[n]) * d;
                }
            }
        }
    }

    // Multiplying by 3^n (mod 256) brings digit n to the top; (q·3) >> 8 reads it.
    private static float Digit(byte packed, byte power)
    {
        byte q = (byte)(packed * power);
        int xi = (q * 3) >> 8;
        return xi - 1;
    }
}
