using GgufPs.Inference;

namespace GgufPs.Tests.Inference;

/// <summary>
/// Softmax's exponentials and SwiGLU of every width are ggml_v_expf's operations lane by lane (expf for SwiGLU's
/// leftovers), and softmax's sum reduces each group of sixteen as _mm512_reduce_add_ps, in double across groups.
/// </summary>
public unsafe class GgmlExpTests
{
    public static TheoryData<int, string> Lengths()
    {
        var data = new TheoryData<int, string>();
        foreach (int n in new[] { 1, 16, 37, 64, 250 })
        {
            foreach (string width in GgmlSums.Widths)
            {
                data.Add(n, width);
            }
        }
        return data;
    }

    private static VectorWidth Width(string name)
    {
        var width = Enum.Parse<VectorWidth>(name);
        if (!KernelSupport.Supports(width))
        {
            Assert.Skip($"This CPU has no {name} instructions.");
        }
        return width;
    }

    /// <summary>ggml_v_expf (AVX-512) on one value.</summary>
    private static float Exp(float x)
    {
        const float r = 12582912.0f;
        float z = MathF.FusedMultiplyAdd(x, 1.44269502f, r);
        float n = z - r;
        float b = MathF.FusedMultiplyAdd(-n, 1.42860677e-06f, MathF.FusedMultiplyAdd(-n, 0.693145752f, x));
        float u = b * b;
        float j = MathF.FusedMultiplyAdd(
            MathF.FusedMultiplyAdd(MathF.FusedMultiplyAdd(0.00824739039f, b, 0.0418997668f), u, MathF.FusedMultiplyAdd(0.166683957f, b, 0.499991268f)),
            u,
            MathF.FusedMultiplyAdd(0.999999404f, b, 1.0f));
        if (MathF.Abs(n) > 192f)
        {
            return n <= 0 ? 0 : float.PositiveInfinity;
        }
        int ni = (int)n;
        int half = ni >> 1;
        return j * BitConverter.Int32BitsToSingle((half + 127) << 23) * BitConverter.Int32BitsToSingle((ni - half + 127) << 23);
    }

    private static float[] Inputs(int n, int seed)
    {
        var random = new Random(seed);
        var x = new float[n];
        for (int i = 0; i < n; i++)
        {
            // Ordinary values, and some whose exponentials are subnormal, zero or infinite.
            x[i] = i % 11 == 3 ? -95f - i % 7 * 10 : i % 13 == 5 ? 89f + i % 3 : (float)((random.NextDouble() - 0.5) * 30);
        }
        return x;
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void SoftmaxExpIsTheVectorExpAndTheGroupSums(int n, string widthName)
    {
        var width = Width(widthName);
        float[] x = Inputs(n, n);
        const float shift = 3.5f;
        var y = new float[n];
        double sum;
        fixed (float* xp = x, yp = y)
        {
            sum = GgmlExp.SoftmaxExp(xp, n, shift, yp, width);
        }
        double expectedSum = 0;
        Span<float> group = stackalloc float[16];
        for (int i = 0; i < n; i += 16)
        {
            for (int j = 0; j < 16; j++)
            {
                group[j] = i + j < n ? Exp(x[i + j] - shift) : 0;
                if (i + j < n)
                {
                    GgmlSums.AssertSameBits(group[j], y[i + j], $"value {i + j}");
                }
            }
            expectedSum += GgmlSums.Reduce(group);
        }
        Assert.Equal(BitConverter.DoubleToInt64Bits(expectedSum), BitConverter.DoubleToInt64Bits(sum));
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void SwiGluIsTheVectorExpThenExpfForTheRest(int n, string widthName)
    {
        var width = Width(widthName);
        float[] x = Inputs(n, 2 * n);
        float[] g = Inputs(n, 3 * n);
        var expected = new float[n];
        for (int i = 0; i < n; i++)
        {
            float e = i < n / 16 * 16 ? Exp(0 - x[i]) : MathF.Exp(-x[i]);
            expected[i] = x[i] / (1.0f + e) * g[i];
        }
        fixed (float* xp = x, gp = g)
        {
            GgmlExp.SwiGlu(xp, gp, n, width);
        }
        for (int i = 0; i < n; i++)
        {
            GgmlSums.AssertSameBits(expected[i], x[i], $"value {i}");
        }
    }
}
