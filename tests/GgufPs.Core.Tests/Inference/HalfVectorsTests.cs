using GgufPs.Inference;

namespace GgufPs.Tests.Inference;

/// <summary>
/// The F16 widening of every width gives each of the 65,536 halves' float exactly (NaNs as NaNs), both scattered
/// (most groups of 32 hold a zero, subnormal, infinity or NaN) and in order (most groups hold normal numbers only,
/// the fast path).
/// </summary>
public unsafe class HalfVectorsTests
{
    public static TheoryData<string, bool> Widths()
    {
        var data = new TheoryData<string, bool>();
        foreach (var width in GgmlSums.Widths)
        {
            data.Add(width, true);
            data.Add(width, false);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void EveryHalfWidensExactly(string widthName, bool scattered)
    {
        var width = Enum.Parse<VectorWidth>(widthName);
        if (!KernelSupport.Supports(width))
        {
            Assert.Skip($"This CPU has no {widthName} instructions.");
        }
        // One more than a multiple of 16, so the narrower steps and the scalar tail run too.
        const int count = 65536 + 7;
        var halves = new ushort[count];
        for (int i = 0; i < count; i++)
        {
            halves[i] = (ushort)(scattered ? i * 40503 : i);
        }
        var floats = new float[count];
        fixed (ushort* h = halves)
        fixed (float* y = floats)
        {
            HalfVectors.ToSingle(h, y, count, width);
        }
        for (int i = 0; i < count; i++)
        {
            float expected = (float)BitConverter.UInt16BitsToHalf(halves[i]);
            if (float.IsNaN(expected))
            {
                Assert.True(float.IsNaN(floats[i]), $"half 0x{halves[i]:X4}");
            }
            else
            {
                GgmlSums.AssertSameBits(expected, floats[i], $"half 0x{halves[i]:X4}");
            }
        }
    }
}
