using GgufPs.Inference;

namespace GgufPs.Tests.Inference;

/// <summary>The attention sums of every width keep llama.cpp's order: tinyBLAS's lanes, or ggml_vec_dot's steps.</summary>
public unsafe class GgmlDotTests
{
    public static TheoryData<int, int, string> WeightedSumCases() => Cases([(1, 8), (15, 64), (16, 64), (37, 72), (256, 128), (300, 8), (23, 13)]);

    public static TheoryData<int, int, string> ScaledDotCases() => Cases([(1, 64), (16, 64), (37, 64), (48, 16), (100, 128), (33, 80), (20, 8), (21, 200)]);

    private static TheoryData<int, int, string> Cases((int, int)[] shapes)
    {
        var data = new TheoryData<int, int, string>();
        foreach (var (a, b) in shapes)
        {
            foreach (string width in GgmlSums.Widths)
            {
                data.Add(a, b, width);
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

    [Theory]
    [MemberData(nameof(WeightedSumCases))]
    public void WeightedSumSumsEachLaneInOrderThenTheTree(int count, int width, string vectorWidth)
    {
        var vw = Width(vectorWidth);
        const int stride = 200;
        var random = new Random(count * 1000 + width);
        var p = new float[count];
        var v = new float[count * stride];
        for (int i = 0; i < p.Length; i++)
        {
            p[i] = (float)random.NextDouble();
        }
        for (int i = 0; i < v.Length; i++)
        {
            v[i] = (float)(random.NextDouble() * 2 - 1) * 1e3f;
        }
        var actual = new float[width];
        fixed (float* pp = p, vp = v, a = actual)
        {
            GgmlDot.WeightedSum(pp, count, vp + 3, stride, width, a, vw);
        }
        var lanes = new float[16];
        for (int c = 0; c < width; c++)
        {
            Array.Clear(lanes);
            for (int j = 0; j < count; j++)
            {
                lanes[j % 16] = MathF.FusedMultiplyAdd(v[j * stride + 3 + c], p[j], lanes[j % 16]);
            }
            GgmlSums.AssertSameBits(GgmlSums.Reduce(lanes), actual[c], $"column {c}");
        }
    }

    [Theory]
    [MemberData(nameof(ScaledDotCases))]
    public void ScaledDotsAreEachKeysDotTimesTheScale(int count, int n, string vectorWidth)
    {
        var vw = Width(vectorWidth);
        const int stride = 300;
        var random = new Random(count * 7 + n);
        var query = new float[n];
        var keys = new float[count * stride];
        for (int i = 0; i < query.Length; i++)
        {
            query[i] = (float)(random.NextDouble() * 2 - 1);
        }
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = (float)(random.NextDouble() * 2 - 1) * 10;
        }
        var scores = new float[count];
        const float scale = 0.125f;
        fixed (float* q = query, k = keys, s = scores)
        {
            GgmlDot.ScaledDots(q, k + 5, stride, count, n, scale, s, vw);
        }
        for (int j = 0; j < count; j++)
        {
            float expected = GgmlSums.Dot(query, keys.AsSpan(5 + j * stride, n), n) * scale;
            GgmlSums.AssertSameBits(expected, scores[j], $"key {j}");
        }
    }
}
