using System.Runtime.InteropServices;
using GgufPs.Quantization;
using GgufPs.Oracle;

namespace GgufPs.Tests.Quantization;

public class HalfPrecisionConverterTests
{
    private static float[] Samples()
    {
        var random = new Random(7);
        var values = new List<float>
        {
            0f, -0f, 1f, -1f, 65504f, 65520f, 1e-8f, 6.1e-5f, 5.96e-8f, float.Epsilon, float.MaxValue,
            float.PositiveInfinity, float.NegativeInfinity, float.NaN, BitConverter.UInt32BitsToSingle(0x7f800001),
            BitConverter.UInt32BitsToSingle(0xffc00001), 1.00390625f, 1.0078125f, 3.0000002f,
        };
        for (int i = 0; i < 997; i++)
        {
            values.Add(BitConverter.UInt32BitsToSingle((uint)random.NextInt64(0, 1L << 32)));
        }
        return values.ToArray();
    }

    [Fact]
    public void F16MatchesGgml()
    {
        var input = Samples();
        var ours = new byte[input.Length * 2];
        HalfPrecisionConverter.ToF16(input, ours);
        var theirs = LlamaCppOracle.Quantize(GgmlType.F16, input, 1, input.Length);
        Assert.Equal(theirs, ours);
    }

    [Fact]
    public void Bf16MatchesGgml()
    {
        var input = Samples();
        var ours = new byte[input.Length * 2];
        HalfPrecisionConverter.ToBF16(input, ours);
        var theirs = LlamaCppOracle.Quantize(GgmlType.BF16, input, 1, input.Length);
        Assert.Equal(theirs, ours);
    }

    [Fact]
    public void HalfFormatsRoundTripExactlyRepresentableValues()
    {
        float[] values = [0.5f, -2f, 1024f, 0.0001220703125f];
        var bytes = new byte[values.Length * 2];
        var back = new float[values.Length];
        HalfPrecisionConverter.ToF16(values, bytes);
        HalfPrecisionConverter.FromF16(bytes, back);
        Assert.Equal(values, back);
        HalfPrecisionConverter.ToBF16(values, bytes);
        HalfPrecisionConverter.FromBF16(bytes, back);
        Assert.Equal(values, back);
        Assert.Equal(MemoryMarshal.Cast<byte, ushort>(bytes).Length, values.Length);
    }
}
