using GgufPs.Quantization;
using GgufPs.Oracle;

namespace GgufPs.Tests.Quantization;

/// <summary>Every block format against ggml's own quantize_chunk and dequantize_row, byte for byte and bit for bit.</summary>
public class BlockFormatOracleTests
{
    private static readonly GgmlType[] TensorTypes =
    [
        GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q8_0,
        GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K,
        GgmlType.IQ4_NL, GgmlType.IQ4_XS, GgmlType.TQ1_0, GgmlType.TQ2_0,
    ];

    public static TheoryData<GgmlType, string> TypesAndDistributions()
    {
        var data = new TheoryData<GgmlType, string>();
        foreach (var type in TensorTypes)
        {
            foreach (string distribution in SampleRows.Distributions)
            {
                data.Add(type, distribution);
            }
        }
        return data;
    }

    private static int[] Widths(BlockFormat format) =>
        format.BlockSize == 256 ? [256, 768, 2048] : [32, 96, 256, 2048];

    [Theory]
    [MemberData(nameof(TypesAndDistributions))]
    public void QuantizeMatchesGgml(GgmlType type, string distribution)
    {
        var format = BlockFormats.Get(type);
        foreach (int width in Widths(format))
        {
            const int rows = 3;
            var source = SampleRows.Create(distribution, rows * width, width);
            var expected = LlamaCppOracle.Quantize(type, source, rows, width);
            var actual = new byte[expected.Length];
            format.Quantize(source, rows, width, actual);
            AssertBytes(expected, actual, $"{type} {distribution} width {width}");
        }
    }

    [Theory]
    [MemberData(nameof(TypesAndDistributions))]
    public void QuantizeWithImportanceMatchesGgml(GgmlType type, string distribution)
    {
        var format = BlockFormats.Get(type);
        foreach (int width in Widths(format))
        {
            foreach (bool withZeros in new[] { false, true })
            {
                const int rows = 2;
                var source = SampleRows.Create(distribution, rows * width, width + 1);
                var importance = SampleRows.Importance(width, width, withZeros);
                var expected = LlamaCppOracle.Quantize(type, source, rows, width, importance);
                var actual = new byte[expected.Length];
                format.Quantize(source, rows, width, actual, importance);
                AssertBytes(expected, actual, $"{type} {distribution} width {width} zeros {withZeros}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(TypesAndDistributions))]
    public void ScalarFallbackMatchesGgml(GgmlType type, string distribution)
    {
        // The paths CPUs without AVX-512 take, with and without importance weights.
        var format = BlockFormats.Get(type);
        using var scalar = LaneFitting.ForceScalar();
        foreach (int width in new[] { format.BlockSize == 256 ? 512 : 96 })
        {
            var source = SampleRows.Create(distribution, 2 * width, width + 5);
            var importance = SampleRows.Importance(width, width + 5, withZeros: true);
            foreach (var weights in new[] { Array.Empty<float>(), importance })
            {
                var expected = LlamaCppOracle.Quantize(type, source, 2, width, weights);
                var actual = new byte[expected.Length];
                format.Quantize(source, 2, width, actual, weights);
                AssertBytes(expected, actual, $"scalar {type} {distribution} weights {weights.Length > 0}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(TypesAndDistributions))]
    public void DequantizeMatchesGgmlBitForBit(GgmlType type, string distribution)
    {
        var format = BlockFormats.Get(type);
        const int count = 1024;
        var source = SampleRows.Create(distribution, count, 3);
        var blocks = LlamaCppOracle.Quantize(type, source, 1, count);
        var expected = LlamaCppOracle.Dequantize(type, blocks, count);
        var actual = new float[count];
        format.Dequantize(blocks, actual);
        AssertBits(expected, actual, $"{type} {distribution}");
    }

    [Theory]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.Q4_1)]
    [InlineData(GgmlType.Q5_0)]
    [InlineData(GgmlType.Q5_1)]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q2_K)]
    [InlineData(GgmlType.Q3_K)]
    [InlineData(GgmlType.Q4_K)]
    [InlineData(GgmlType.Q5_K)]
    [InlineData(GgmlType.Q6_K)]
    [InlineData(GgmlType.IQ4_NL)]
    [InlineData(GgmlType.IQ4_XS)]
    [InlineData(GgmlType.TQ1_0)]
    [InlineData(GgmlType.TQ2_0)]
    public void DequantizeMatchesGgmlOnArbitraryBytes(GgmlType type)
    {
        // Random bytes reach scale and level combinations no quantizer writes; F16 scales are kept finite.
        var format = BlockFormats.Get(type);
        const int count = 512;
        var blocks = new byte[format.RowBytes(count)];
        new Random(11).NextBytes(blocks);
        var expected = LlamaCppOracle.Dequantize(type, blocks, count);
        var actual = new float[count];
        format.Dequantize(blocks, actual);
        AssertBits(expected, actual, type.ToString());
    }

    [Theory]
    [InlineData(GgmlType.Q8_1)]
    [InlineData(GgmlType.Q8_K)]
    public void ActivationFormatReferenceQuantizersMatchGgml(GgmlType type)
    {
        var format = BlockFormats.Get(type);
        foreach (string distribution in SampleRows.Distributions)
        {
            var source = SampleRows.Create(distribution, 1024, 9);
            var expected = LlamaCppOracle.QuantizeRowReference(type, source);
            var actual = new byte[expected.Length];
            format.Quantize(source, 1, source.Length, actual);
            AssertBytes(expected, actual, $"{type} {distribution}");
        }
    }

    [Fact]
    public void Q8KDequantizeMatchesGgml()
    {
        var source = SampleRows.Create("gaussian", 512, 4);
        var blocks = LlamaCppOracle.QuantizeRowReference(GgmlType.Q8_K, source);
        var expected = LlamaCppOracle.Dequantize(GgmlType.Q8_K, blocks, source.Length);
        var actual = new float[source.Length];
        BlockFormats.Get(GgmlType.Q8_K).Dequantize(blocks, actual);
        AssertBits(expected, actual, "Q8_K");
    }

    [Fact]
    public void ActivationQuantizersMatchGgmlCpu()
    {
        foreach (string distribution in SampleRows.Distributions)
        {
            var source = SampleRows.Create(distribution, 1024, 13);
            // Values at exact .5 steps of the scale expose half-to-even rounding.
            source[5] = 63.5f / 127 * source.Max(MathF.Abs);
            var q80 = new byte[GgmlTypeInfo.Get(GgmlType.Q8_0).RowSize(source.Length)];
            Q8_0BlockFormat.QuantizeActivations(source, q80);
            AssertBytes(LlamaCppOracle.QuantizeActivations(GgmlType.Q8_0, source), q80, "Q8_0 " + distribution);
            var q81 = new byte[GgmlTypeInfo.Get(GgmlType.Q8_1).RowSize(source.Length)];
            Q8_1BlockFormat.QuantizeActivations(source, q81);
            AssertBytes(LlamaCppOracle.QuantizeActivations(GgmlType.Q8_1, source), q81, "Q8_1 " + distribution);
            var q8k = new byte[GgmlTypeInfo.Get(GgmlType.Q8_K).RowSize(source.Length)];
            Q8_KBlockFormat.QuantizeActivations(source, q8k);
            AssertBytes(LlamaCppOracle.QuantizeActivations(GgmlType.Q8_K, source), q8k, "Q8_K " + distribution);
        }
    }

    [Fact]
    public void RegistryCoversTheTypesAndTheirLayouts()
    {
        foreach (var format in BlockFormats.All)
        {
            Assert.Equal(LlamaCppOracle.BlockSize((int)format.Type), format.BlockSize);
            Assert.Equal(LlamaCppOracle.TypeSize((int)format.Type), format.BlockBytes);
            Assert.Equal(LlamaCppOracle.RequiresImportance(format.Type), format.RequiresImportance);
        }
        Assert.Throws<NotSupportedException>(() => BlockFormats.Get(GgmlType.I32));
    }

    [Fact]
    public void BadArgumentsAreRefused()
    {
        var format = BlockFormats.Get(GgmlType.Q4_K);
        var row = new float[256];
        Assert.Throws<ArgumentException>(() => format.Quantize(row, 1, 100, new byte[200]));
        Assert.Throws<ArgumentException>(() => format.Quantize(row, 1, 256, new byte[10]));
        Assert.Throws<ArgumentException>(() => format.Quantize(row, 2, 256, new byte[288]));
        Assert.Throws<ArgumentException>(() => format.Quantize(row, 1, 256, new byte[144], new float[10]));
        Assert.Throws<ArgumentException>(() => format.Dequantize(new byte[100], new float[256]));
    }

    internal static void AssertBytes(byte[] expected, byte[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (expected[i] != actual[i])
            {
                Assert.Fail($"{what}: first difference at byte {i}: ggml {expected[i]:x2}, ours {actual[i]:x2}.");
            }
        }
    }

    internal static void AssertBits(float[] expected, float[] actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                Assert.Fail($"{what}: first difference at value {i}: ggml {expected[i]:R}, ours {actual[i]:R}.");
            }
        }
    }
}
