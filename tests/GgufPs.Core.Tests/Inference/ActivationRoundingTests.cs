using GgufPs.Inference;
using GgufPs.Quantization;

namespace GgufPs.Tests.Inference;

/// <summary>The activation rounding equals quantizing with ggml-cpu's activation quantizers and dequantizing.</summary>
public class ActivationRoundingTests
{
    [Theory]
    [InlineData("Q8_0")]
    [InlineData("Q8_K")]
    public void EqualsQuantizeThenDequantize(string name)
    {
        var format = Enum.Parse<ActivationFormat>(name);
        const int n = 2048;
        var random = new Random(7);
        var x = new float[n];
        for (int i = 0; i < n; i++)
        {
            // Some blocks of exact multiples make ties between two quantization levels.
            x[i] = i < 512 ? (random.Next(-40, 40) * 0.25f) : (float)((random.NextDouble() - 0.5) * Math.Exp(random.Next(-8, 6)));
        }
        x[600..700].AsSpan().Clear();
        var type = format == ActivationFormat.Q8_0 ? GgmlType.Q8_0 : GgmlType.Q8_K;
        var blocks = new byte[BlockFormats.Get(type).RowBytes(n)];
        if (format == ActivationFormat.Q8_0)
        {
            Q8_0BlockFormat.QuantizeActivations(x, blocks);
        }
        else
        {
            Q8_KBlockFormat.QuantizeActivations(x, blocks);
        }
        var expected = new float[n];
        BlockFormats.Get(type).Dequantize(blocks, expected);
        var actual = new float[n];
        ActivationRounding.Round(format, x, actual, n);
        for (int i = 0; i < n; i++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]), $"{i}: {x[i]:R} → {expected[i]:R} vs {actual[i]:R}");
        }
    }

    [Fact]
    public void BF16IsGgmlsRoundingToNearestEvenWithQuietNaNs()
    {
        var random = new Random(8);
        var x = new float[1003];
        for (int i = 0; i < x.Length; i++)
        {
            // Ties (the low 16 bits exactly 0x8000), signalling NaNs, infinities and ordinary values.
            uint bits = (uint)random.Next() << 1 ^ (uint)random.Next(2);
            x[i] = BitConverter.UInt32BitsToSingle(i % 7 == 0 ? (bits & 0xFFFF0000u) | 0x8000u : i % 101 == 0 ? 0x7F800001u : i % 103 == 0 ? 0xFF800000u : bits);
        }
        var actual = new float[x.Length];
        ActivationRounding.Round(ActivationFormat.BF16, x, actual, x.Length);
        for (int i = 0; i < x.Length; i++)
        {
            uint expected = (uint)HalfPrecisionConverter.ToBF16(BitConverter.SingleToUInt32Bits(x[i])) << 16;
            Assert.Equal(expected, BitConverter.SingleToUInt32Bits(actual[i]));
        }
    }
}
