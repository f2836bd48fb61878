using GgufPs.Inference;

namespace GgufPs.Tests.Inference;

/// <summary>The vector F16 rounding of every width gives (float)(Half)x bit for bit: every half's neighbourhood, ties, overflow, subnormals, NaNs.</summary>
public unsafe class HalfRoundingTests
{
    public static TheoryData<string> Widths() => new(GgmlSums.Widths);

    [Theory]
    [MemberData(nameof(Widths))]
    public void RoundsAsTheHalfConversion(string widthName)
    {
        var width = Enum.Parse<VectorWidth>(widthName);
        if (!KernelSupport.Supports(width))
        {
            Assert.Skip($"This CPU has no {widthName} instructions.");
        }
        var values = new List<uint>();
        // Around every half as a float: the value, its float neighbours, and the ties halfway to the next half.
        for (uint h = 0; h < 0x7C00; h++)
        {
            uint f = BitConverter.SingleToUInt32Bits((float)BitConverter.UInt16BitsToHalf((ushort)h));
            float next = (float)BitConverter.UInt16BitsToHalf((ushort)(h + 1));
            uint tie = BitConverter.SingleToUInt32Bits(((float)BitConverter.UInt16BitsToHalf((ushort)h) + next) / 2);
            foreach (uint bits in new[] { f, f + 1, f - 1, tie, tie + 1, tie - 1 })
            {
                values.Add(bits);
                values.Add(bits | 0x80000000);
            }
        }
        var random = new Random(7);
        for (int i = 0; i < 200_000; i++)
        {
            values.Add((uint)random.NextInt64(0, 1L << 32));
        }
        // Float subnormals, overflow, infinities and NaNs; an odd count runs the narrower steps and the scalar tail.
        values.AddRange([0x00000001, 0x007FFFFF, 0x477FEFFF, 0x477FF000, 0x7F7FFFFF, 0x7F800000, 0xFF800000, 0x7FC00000, 0x7F800001, 0xFFC12345, 0x3F800000]);
        var x = values.Select(BitConverter.UInt32BitsToSingle).ToArray();
        var y = new float[x.Length];
        fixed (float* xp = x, yp = y)
        {
            HalfRounding.Round(xp, yp, x.Length, width);
        }
        for (int i = 0; i < x.Length; i++)
        {
            uint expected = BitConverter.SingleToUInt32Bits((float)(Half)x[i]);
            uint actual = BitConverter.SingleToUInt32Bits(y[i]);
            Assert.True(expected == actual, $"{x[i]:R} (0x{values[i]:X8}): 0x{expected:X8} expected, 0x{actual:X8} given");
        }
    }

    [Fact]
    public void RoundsInPlace()
    {
        float[] x = [1.0001f, -3.14159f, 1e-6f, 70000f, 0.333333f];
        float[] expected = x.Select(v => (float)(Half)v).ToArray();
        fixed (float* p = x)
        {
            HalfRounding.Round(p, p, x.Length);
        }
        Assert.Equal(expected, x);
    }
}
