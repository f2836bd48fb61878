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
}
