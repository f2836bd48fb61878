using GgufPs.Inference;
using GgufPs.Quantization;

namespace GgufPs.Tests.Inference;

/// <summary>The vectorised decoders of every width give exactly the values of the reference decoders.</summary>
public unsafe class FastDequantizerTests
{
    public static TheoryData<GgmlType, string> TypesAndWidths()
    {
        var data = new TheoryData<GgmlType, string>();
        foreach (var type in new[] { GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.Q3_K, GgmlType.Q2_K })
        {
            foreach (string width in Enum.GetNames<VectorWidth>())
            {
                data.Add(type, width);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(TypesAndWidths))]
    public void MatchesTheReferenceDecoderBitForBit(GgmlType type, string widthName)
    {
        var width = Enum.Parse<VectorWidth>(widthName);
        if (!KernelSupport.Supports(width))
        {
            Assert.Skip($"This CPU has no {width} instructions.");
        }
        Assert.True(FastDequantizer.Handles(type));
        var format = BlockFormats.Get(type);
        const int n = 4096;
        var random = new Random(42);
        var values = new float[n];
        for (int i = 0; i < n; i++)
        {
            values[i] = (float)((random.NextDouble() - 0.5) * Math.Exp(random.Next(-6, 4)));
        }
        var bytes = new byte[format.RowBytes(n)];
        format.Quantize(values, 1, n, bytes);
        // Random quant bits as well, keeping the block scales of the quantized data.
        var noisy = (byte[])bytes.Clone();
        for (int i = 0; i < noisy.Length; i++)
        {
            if (random.Next(3) == 0)
            {
                noisy[i] = (byte)random.Next(256);
            }
        }
        foreach (var data in new[] { bytes, noisy })
        {
            var expected = new float[n];
            format.Dequantize(data, expected);
            var actual = new float[n];
            fixed (byte* x = data)
            fixed (float* y = actual)
            {
                FastDequantizer.Decode(type, x, y, n, width);
            }
            for (int i = 0; i < n; i++)
            {
                if (float.IsFinite(expected[i]))
                {
                    Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]), $"{type} value {i}: {expected[i]:R} vs {actual[i]:R}");
                }
            }
        }
    }
}
