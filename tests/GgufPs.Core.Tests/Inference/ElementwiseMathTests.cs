using System.Numerics.Tensors;
using GgufPs.Inference;

namespace GgufPs.Tests.Inference;

/// <summary>The graph's element-wise loops give TensorPrimitives' results bit for bit, at every length and edge value.</summary>
public unsafe class ElementwiseMathTests
{
    private static float[] Values(int n, int seed)
    {
        var random = new Random(seed);
        var values = new float[n];
        for (int i = 0; i < n; i++)
        {
            values[i] = (float)(random.NextDouble() * 200 - 100);
        }
        return values;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(33)]
    [InlineData(512)]
    [InlineData(32000)]
    public void MaxIsTensorPrimitivesMax(int n)
    {
        float[] x = Values(n, n);
        x[n / 2] = 250f;
        fixed (float* p = x)
        {
            Assert.Equal(BitConverter.SingleToInt32Bits(TensorPrimitives.Max(x)), BitConverter.SingleToInt32Bits(ElementwiseMath.Max(p, n)));
        }
    }

    [Theory]
    [InlineData(new[] { -0f, 0f }, 0f)]
    [InlineData(new[] { 0f, -0f, -0f }, 0f)]
    [InlineData(new[] { -0f, -0f, -0f, -0f, -0f, -0f, -0f, -0f, -0f, -0f, -0f, -0f, -0f, -0f, -0f, -0f, 0f, -0f }, 0f)]
    [InlineData(new[] { -3f, float.NaN, 5f }, float.NaN)]
    [InlineData(new[] { 1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f, 9f, 10f, 11f, 12f, 13f, 14f, 15f, 16f, float.NaN, 1f }, float.NaN)]
    [InlineData(new[] { float.NegativeInfinity, -1e30f }, -1e30f)]
    public void MaxOrdersSignedZerosAndNaNAsMathMax(float[] x, float expected)
    {
        fixed (float* p = x)
        {
            float actual = ElementwiseMath.Max(p, x.Length);
            Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(actual));
            Assert.Equal(BitConverter.SingleToInt32Bits(TensorPrimitives.Max(x)), BitConverter.SingleToInt32Bits(actual));
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(64)]
    [InlineData(1001)]
    public void ScaleAndAddAreTensorPrimitives(int n)
    {
        float[] x = Values(n, 1), y = Values(n, 2);
        float[] scaled = (float[])x.Clone(), sum = (float[])x.Clone();
        var expectedScaled = new float[n];
        var expectedSum = new float[n];
        TensorPrimitives.Multiply(x, 0.3127f, expectedScaled);
        TensorPrimitives.Add(x, y, expectedSum);
        fixed (float* s = scaled, a = sum, b = y)
        {
            ElementwiseMath.Scale(s, n, 0.3127f);
            ElementwiseMath.Add(a, b, n);
        }
        Assert.Equal(expectedScaled, scaled);
        Assert.Equal(expectedSum, sum);
    }
}
