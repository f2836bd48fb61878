using GgufPs.Inference;

namespace GgufPs.Tests.Inference;

/// <summary>LayerNorm of every width is ggml_norm's: the variance in sixteen fused lanes, reduced, the rest in double.</summary>
public unsafe class TransformerOpsTests
{
    public static TheoryData<int, string> Lengths()
    {
        var data = new TheoryData<int, string>();
        foreach (int n in new[] { 8, 16, 100, 128 })
        {
            foreach (string width in GgmlSums.Widths)
            {
                data.Add(n, width);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void LayerNormIsGgmlNormThenWeightAndBias(int n, string widthName)
    {
        var width = Enum.Parse<VectorWidth>(widthName);
        if (!KernelSupport.Supports(width))
        {
            Assert.Skip($"This CPU has no {widthName} instructions.");
        }
        var random = new Random(n);
        var x = new float[n];
        var weight = new float[n];
        var bias = new float[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = (float)(random.NextDouble() * 8 - 3);
            weight[i] = (float)random.NextDouble() + 0.5f;
            bias[i] = (float)random.NextDouble() - 0.5f;
        }
        const float eps = 1e-5f;
        double sum = 0;
        foreach (float v in x)
        {
            sum += v;
        }
        float mean = (float)(sum / n);
        int k = n / 16 * 16;
        var lanes = new float[16];
        for (int i = 0; i < k; i++)
        {
            float v = x[i] - mean;
            lanes[i % 16] = MathF.FusedMultiplyAdd(v, v, lanes[i % 16]);
        }
        double variance = k == 0 ? 0 : GgmlSums.Reduce(lanes);
        for (int i = k; i < n; i++)
        {
            float v = x[i] - mean;
            variance += v * v;
        }
        float scale = 1.0f / MathF.Sqrt((float)(variance / n) + eps);
        var actual = new float[n];
        fixed (float* xp = x, yp = actual)
        {
            TransformerOps.LayerNorm(xp, yp, n, weight, bias, eps, width);
        }
        for (int i = 0; i < n; i++)
        {
            float expected = (x[i] - mean) * scale * weight[i] + bias[i];
            GgmlSums.AssertSameBits(expected, actual[i], $"value {i}");
        }
    }
}
