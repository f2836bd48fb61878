using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GgufPs.Inference;

/// <summary>
/// The vectorised expf of ggml's CPU backend in its AVX-512 form (ggml_v_expf, adapted from Arm's optimized
/// routines, about 1.5 ulp), which llama.cpp uses in softmax and SiLU on whole groups of 16, and glibc's expf for
/// the leftover elements. We mirror llama.cpp's AVX-512 build (the oracle's) whatever this machine has, so results
/// do not depend on it. Matching it keeps probabilities bit-identical, so the F16 rounding that follows in attention
/// falls the same way.
/// </summary>
internal static unsafe class GgmlExp
{
    private const int GroupSize = 16;
    private const float Shift = 12582912.0f; // 0x1.8p23
    private const float Log2E = 1.44269502f; // 0x1.715476p+0
    private const float Ln2Hi = 0.693145752f; // 0x1.62e4p-1
    private const float Ln2Lo = 1.42860677e-06f; // 0x1.7f7d1cp-20
    private const float C1 = 0.999999404f; // 0x1.ffffecp-1
    private const float C2 = 0.499991268f; // 0x1.fffdb6p-2
    private const float C3 = 0.166683957f; // 0x1.555e66p-3
    private const float C4 = 0.0418997668f; // 0x1.573e2ep-5
    private const float C5 = 0.00824739039f; // 0x1.0e4020p-7

    /// <summary>
    /// exp(x[i] - shift) into y and their sum, as ggml_vec_soft_max_f32 over a row whose length is a multiple of 16
    /// (llama.cpp's rows span the padded KV cache; the masked entries beyond x add zeros): each group of sixteen is
    /// reduced in float as _mm512_reduce_add_ps does, then added up in double.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double SoftmaxExp(float* x, int n, float shift, float* y)
    {
        double sum = 0;
        var s = Vector512.Create(shift);
        var tail = stackalloc float[GroupSize];
        for (int i = 0; i < n; i += GroupSize)
        {
            Vector512<float> v;
            if (i + GroupSize <= n)
            {
                v = Vector(Vector512.Load(x + i) - s);
                v.Store(y + i);
            }
            else
            {
                for (int j = 0; j < GroupSize; j++)
                {
                    tail[j] = i + j < n ? x[i + j] : float.NegativeInfinity;
                }
                v = Vector(Vector512.Load(tail) - s);
                v.Store(tail);
                for (int j = 0; i + j < n; j++)
                {
                    y[i + j] = tail[j];
                }
            }
            sum += FloatGemm.ReduceAdd(v);
        }
        return sum;
    }

    /// <summary>silu(x)·g over a row, groups of 16 with the vector exp and the tail with expf, as ggml_vec_swiglu_f32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SwiGlu(float* x, float* g, int n)
    {
        int i = 0;
        for (; i + GroupSize <= n; i += GroupSize)
        {
            var v = Vector512.Load(x + i);
            var e = Vector(Vector512<float>.Zero - v);
            (v / (Vector512<float>.One + e) * Vector512.Load(g + i)).Store(x + i);
        }
        for (; i < n; i++)
        {
            float v = x[i];
            x[i] = v / (1.0f + MathF.Exp(-v)) * g[i];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Vector(Vector512<float> x)
    {
        var r = Vector512.Create(Shift);
        var z = Vector512.FusedMultiplyAdd(x, Vector512.Create(Log2E), r);
        var n = z - r;
        var b = Vector512.FusedMultiplyAdd(-n, Vector512.Create(Ln2Lo), Vector512.FusedMultiplyAdd(-n, Vector512.Create(Ln2Hi), x));
        var u = b * b;
        var j = Vector512.FusedMultiplyAdd(
            Vector512.FusedMultiplyAdd(Vector512.FusedMultiplyAdd(Vector512.Create(C5), b, Vector512.Create(C4)), u,
                Vector512.FusedMultiplyAdd(Vector512.Create(C3), b, Vector512.Create(C2))),
            u,
            Vector512.FusedMultiplyAdd(Vector512.Create(C1), b, Vector512<float>.One));
        // scalef(j, n) = j·2ⁿ with one rounding; 2ⁿ is split in two factors so that subnormal results also come out.
        var ni = Vector512.ConvertToInt32(n);
        var half = ni >> 1;
        var p1 = Vector512.As<int, float>((half + Vector512.Create(127)) << 23);
        var p2 = Vector512.As<int, float>((ni - half + Vector512.Create(127)) << 23);
        var result = j * p1 * p2;
        var large = Vector512.GreaterThan(Vector512.Abs(n), Vector512.Create(192f));
        if (large == Vector512<float>.Zero)
        {
            return result;
        }
        var alternative = Vector512.ConditionalSelect(Vector512.LessThanOrEqual(n, Vector512<float>.Zero), Vector512<float>.Zero, Vector512.Create(float.PositiveInfinity));
        return Vector512.ConditionalSelect(large, alternative, result);
    }
}
