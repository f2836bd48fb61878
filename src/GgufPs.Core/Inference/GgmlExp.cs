using System.Runtime.CompilerServices;

namespace GgufPs.Inference;

/// <summary>
/// The vectorised expf of ggml's CPU backend (ggml_v_expf, adapted from Arm's optimized routines, about 1.5 ulp),
/// which llama.cpp uses in softmax and SiLU on whole SIMD groups, and glibc's expf for the leftover elements.
/// Matching it keeps our probabilities bit-close to llama.cpp's, so that the F16 rounding that follows in attention
/// falls the same way.
/// </summary>
internal static class GgmlExp
{
    // We mirror llama.cpp's AVX-512 build (the oracle's), whatever this machine has, so results do not depend on it.
    private const int GroupSize = 16;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Vector(float x) => Avx512(x);

    /// <summary>
    /// exp(x[i] - shift) into y and their sum, as ggml_vec_soft_max_f32 over a row whose length is a multiple of the
    /// SIMD group (llama.cpp's rows span the padded KV cache; the masked entries beyond x add zeros): each group's
    /// exps are reduced in float in the order of the intrinsic's tree, then added up in double.
    /// </summary>
    public static double SoftmaxExp(ReadOnlySpan<float> x, float shift, Span<float> y)
    {
        int group = GroupSize;
        Span<float> lanes = stackalloc float[group];
        double sum = 0;
        for (int i = 0; i < x.Length; i += group)
        {
            for (int j = 0; j < group; j++)
            {
                float e = i + j < x.Length ? Vector(x[i + j] - shift) : 0.0f;
                lanes[j] = e;
                if (i + j < x.Length)
                {
                    y[i + j] = e;
                }
            }
            sum += ReduceAdd16(lanes);
        }
        return sum;
    }

    // _mm512_reduce_add_ps: halves, then quarters, then pairs.
    private static float ReduceAdd16(ReadOnlySpan<float> a)
    {
        Span<float> t = stackalloc float[8];
        for (int i = 0; i < 8; i++)
        {
            t[i] = a[i + 8] + a[i];
        }
        float t0 = t[4] + t[0], t1 = t[5] + t[1], t2 = t[6] + t[2], t3 = t[7] + t[3];
        float u0 = t0 + t2, u1 = t1 + t3;
        return u0 + u1;
    }

    /// <summary>silu(x)·g over a row, SIMD groups with the vector exp and the tail with expf, as ggml_vec_swiglu_f32.</summary>
    public static unsafe void SwiGlu(float* x, float* g, int n)
    {
        int group = GroupSize;
        int i = 0;
        for (; i + group - 1 < n; i += group)
        {
            for (int j = i; j < i + group; j++)
            {
                float v = x[j];
                x[j] = v / (1.0f + Vector(0.0f - v)) * g[j];
            }
        }
        for (; i < n; i++)
        {
            float v = x[i];
            x[i] = v / (1.0f + MathF.Exp(-v)) * g[i];
        }
    }

    private static float Avx512(float x)
    {
        const float R = 12582912.0f; // 0x1.8p23
        float z = MathF.FusedMultiplyAdd(x, 1.44269502f, R); // 0x1.715476p+0
        float n = z - R;
        float b = MathF.FusedMultiplyAdd(-n, 1.42860677e-06f, MathF.FusedMultiplyAdd(-n, 0.693145752f, x)); // 0x1.7f7d1cp-20, 0x1.62e4p-1
        float u = b * b;
        float j = MathF.FusedMultiplyAdd(
            MathF.FusedMultiplyAdd(MathF.FusedMultiplyAdd(0.00824739039f, b, 0.0418997668f), u, MathF.FusedMultiplyAdd(0.166683957f, b, 0.499991268f)),
            u,
            MathF.FusedMultiplyAdd(0.999999404f, b, 1.0f));
        if (MathF.Abs(n) > 192)
        {
            return n <= 0 ? 0.0f : float.PositiveInfinity;
        }
        return MathF.ScaleB(j, (int)n);
    }
}
