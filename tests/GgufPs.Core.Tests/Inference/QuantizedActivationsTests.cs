using GgufPs.Inference;
using GgufPs.Quantization;

namespace GgufPs.Tests.Inference;

/// <summary>The int8 kernels' activations of every width are ggml-cpu's Q8_K and Q8_0/Q8_1 activations, byte for byte.</summary>
public unsafe class QuantizedActivationsTests
{
    private static float[] Values(int n, int seed)
    {
        var random = new Random(seed);
        var x = new float[n];
        for (int i = 0; i < n; i++)
        {
            // Blocks of exact multiples make ties; one block of zeros; a block whose largest magnitude repeats.
            x[i] = i < 512 ? random.Next(-40, 40) * 0.25f : (float)((random.NextDouble() - 0.5) * Math.Exp(random.Next(-8, 6)));
        }
        x.AsSpan(768, 256).Clear();
        x[1100] = 7.5f;
        x[1200] = -7.5f;
        return x;
    }

    [Theory]
    [InlineData("Vector128")]
    [InlineData("Vector256")]
    [InlineData("Vector512")]
    public void Q8KIsQuantizeRowQ8K(string widthName)
    {
        var width = Enum.Parse<VectorWidth>(widthName);
        if (!KernelSupport.Supports(width))
        {
            Assert.Skip($"This CPU has no {widthName} instructions.");
        }
        const int n = 2048;
        float[] x = Values(n, 5);
        var blocks = new byte[BlockFormats.Get(GgmlType.Q8_K).RowBytes(n)];
        Q8_KBlockFormat.QuantizeActivations(x, blocks);
        var q = new sbyte[256];
        fixed (float* xp = x)
        fixed (sbyte* qp = q)
        {
            for (int b = 0; b < n / 256; b++)
            {
                QuantizedActivations.QuantizeQ8K(xp + b * 256, qp, out float d, width);
                int at = b * 292;
                Assert.Equal(BitConverter.ToSingle(blocks, at), d);
                for (int j = 0; j < 256; j++)
                {
                    Assert.True((sbyte)blocks[at + 4 + j] == q[j], $"block {b} value {j}: {(sbyte)blocks[at + 4 + j]} vs {q[j]}");
                }
            }
        }
    }

    [Fact]
    public void Q8_0IsGgmlCpusQuantizeRowQ8_0AndQ8_1()
    {
        const int n = 2048;
        float[] x = Values(n, 9);
        var q8_0 = new byte[BlockFormats.Get(GgmlType.Q8_0).RowBytes(n)];
        var q8_1 = new byte[BlockFormats.Get(GgmlType.Q8_1).RowBytes(n)];
        Q8_0BlockFormat.QuantizeActivations(x, q8_0);
        Q8_1BlockFormat.QuantizeActivations(x, q8_1);
        var q = new sbyte[32];
        fixed (float* xp = x)
        fixed (sbyte* qp = q)
        {
            for (int b = 0; b < n / 32; b++)
            {
                QuantizedActivations.QuantizeQ8_0(xp + b * 32, qp, out float d, out float sum);
                Assert.Equal((float)BitConverter.ToHalf(q8_0, b * 34), d);
                Assert.Equal((float)BitConverter.ToHalf(q8_1, b * 36 + 2), sum);
                for (int j = 0; j < 32; j++)
                {
                    Assert.True((sbyte)q8_0[b * 34 + 2 + j] == q[j], $"block {b} value {j}");
                }
            }
        }
    }
}
