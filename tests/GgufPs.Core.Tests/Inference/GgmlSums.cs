namespace GgufPs.Tests.Inference;

/// <summary>
/// llama.cpp's AVX-512 float sums written out one value at a time, as the references the kernels of every width
/// must equal bit for bit.
/// </summary>
internal static class GgmlSums
{
    /// <summary>The widths a kernel can run at, by name (the enum itself is internal to the core).</summary>
    public static readonly string[] Widths = ["Vector128", "Vector256", "Vector512"];

    /// <summary>_mm512_reduce_add_ps: lane l + lane l+8, then l + l+4, then (0 + 2) + (1 + 3).</summary>
    public static float Reduce(ReadOnlySpan<float> lanes)
    {
        Span<float> t = stackalloc float[8];
        for (int l = 0; l < 8; l++)
        {
            t[l] = lanes[l + 8] + lanes[l];
        }
        for (int l = 0; l < 4; l++)
        {
            t[l] = t[l + 4] + t[l];
        }
        return (t[0] + t[2]) + (t[1] + t[3]);
    }

    /// <summary>tinyBLAS: lane i mod 16 by fused multiply-adds in order, then the reduction (n a multiple of 16).</summary>
    public static float TinyBlas(ReadOnlySpan<float> x, ReadOnlySpan<float> y, int n)
    {
        Span<float> lanes = stackalloc float[16];
        for (int i = 0; i < n; i++)
        {
            lanes[i % 16] = MathF.FusedMultiplyAdd(x[i], y[i], lanes[i % 16]);
        }
        return Reduce(lanes);
    }

    /// <summary>
    /// ggml_vec_dot_f32 / _f16 with AVX-512: four sixteen-lane sums over steps of 64, (0 + 2) + (1 + 3) per lane,
    /// the reduction, then the rest added in double as float products.
    /// </summary>
    public static float VecDot(ReadOnlySpan<float> x, ReadOnlySpan<float> y, int n)
    {
        int np = n & ~63;
        double sum = 0;
        if (np > 0)
        {
            var acc = new float[64];
            for (int i = 0; i < np; i++)
            {
                acc[i % 64] = MathF.FusedMultiplyAdd(x[i], y[i], acc[i % 64]);
            }
            Span<float> lanes = stackalloc float[16];
            for (int l = 0; l < 16; l++)
            {
                lanes[l] = (acc[l] + acc[32 + l]) + (acc[16 + l] + acc[48 + l]);
            }
            sum = Reduce(lanes);
        }
        for (int i = np; i < n; i++)
        {
            sum += x[i] * y[i];
        }
        return (float)sum;
    }

    /// <summary>tinyBLAS's order where n is a multiple of 16, ggml_vec_dot's otherwise.</summary>
    public static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y, int n) => n % 16 == 0 ? TinyBlas(x, y, n) : VecDot(x, y, n);

    public static void AssertSameBits(float expected, float actual, string what) =>
        Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual), $"{what}: {expected:R} vs {actual:R}");
}
