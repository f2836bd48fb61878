using GgufPs.Inference;

namespace GgufPs.Tests.Inference;

/// <summary>The attention sums keep tinyBLAS's order: lane j mod 16 by fused multiply-adds, then the reduction tree.</summary>
public unsafe class GgmlDotTests
{
    [Theory]
    [InlineData(1, 8)]
    [InlineData(15, 64)]
    [InlineData(16, 64)]
    [InlineData(37, 72)]
    [InlineData(256, 128)]
    [InlineData(300, 8)]
    public void WeightedSumSumsEachLaneInOrderThenTheTree(int count, int width)
    {
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
            GgmlDot.WeightedSum(pp, count, vp + 3, stride, width, a);
        }
        var lanes = new float[16];
        for (int c = 0; c < width; c++)
        {
            Array.Clear(lanes);
            for (int j = 0; j < count; j++)
            {
                lanes[j % 16] = MathF.FusedMultiplyAdd(v[j * stride + 3 + c], p[j], lanes[j % 16]);
            }
            float[] t = new float[8];
            for (int l = 0; l < 8; l++)
            {
                t[l] = lanes[l] + lanes[l + 8];
            }
            for (int l = 0; l < 4; l++)
            {
                t[l] += t[l + 4];
            }
            float expected = (t[0] + t[2]) + (t[1] + t[3]);
            Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(actual[c]));
        }
    }

    [Theory]
    [InlineData(1, 64)]
    [InlineData(16, 64)]
    [InlineData(37, 64)]
    [InlineData(48, 16)]
    [InlineData(100, 128)]
    [InlineData(33, 80)]
    [InlineData(20, 8)]
    public void ScaledDotsAreEachKeysDotTimesTheScale(int count, int n)
    {
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
            GgmlDot.ScaledDots(q, k + 5, stride, count, n, scale, s);
            for (int j = 0; j < count; j++)
            {
                float expected = GgmlDot.Dot(q, k + 5 + (long)j * stride, n) * scale;
                Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(s[j]));
            }
        }
    }
}
