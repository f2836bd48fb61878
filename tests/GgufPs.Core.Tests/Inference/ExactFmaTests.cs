using System.Runtime.Intrinsics;
using GgufPs.Inference;

namespace GgufPs.Tests.Inference;

/// <summary>The fused multiply-add emulated in double for x64 CPUs without FMA rounds exactly as the instruction.</summary>
public class ExactFmaTests
{
    [Fact]
    public void EmulationEqualsTheCorrectlyRoundedResult()
    {
        var random = new Random(17);
        var a = new float[4];
        var b = new float[4];
        var c = new float[4];
        for (int n = 0; n < 400_000; n++)
        {
            for (int i = 0; i < 4; i++)
            {
                a[i] = Value(random);
                b[i] = Value(random);
                // Half the time c nearly cancels the product, where double rounding would show.
                c[i] = random.Next(2) == 0 ? Value(random) : -(a[i] * b[i]) * (1 + (random.Next(-3, 4) * MathF.Pow(2, -24)));
            }
            var actual = ExactFma.Emulated(Vector128.Create(a), Vector128.Create(b), Vector128.Create(c));
            for (int i = 0; i < 4; i++)
            {
                float expected = MathF.FusedMultiplyAdd(a[i], b[i], c[i]);
                Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual[i]) || (float.IsNaN(expected) && float.IsNaN(actual[i])),
                    $"fma({a[i]:R}, {b[i]:R}, {c[i]:R}) = {expected:R}, emulated {actual[i]:R}");
            }
        }
    }

    /// <summary>Floats with short mantissas (products land on halfway points), subnormals, infinities and zeros.</summary>
    private static float Value(Random random)
    {
        int kind = random.Next(10);
        uint sign = (uint)random.Next(2) << 31;
        return kind switch
        {
            0 => BitConverter.UInt32BitsToSingle(sign | (uint)random.Next(1 << 23)), // subnormal
            1 => BitConverter.UInt32BitsToSingle(sign | ((uint)random.Next(1, 255) << 23) | ((uint)random.Next(1 << 6) << 17)),
            2 => random.Next(3) switch { 0 => float.PositiveInfinity, 1 => 0f, _ => -0f },
            _ => BitConverter.UInt32BitsToSingle(sign | ((uint)random.Next(80, 175) << 23) | (uint)random.Next(1 << 23)),
        };
    }
}
