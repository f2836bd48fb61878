using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GgufPs.Inference;

/// <summary>
/// The sums of attention in the order llama.cpp's CPU backend makes them: llamafile's tinyBLAS when the summed
/// length is a multiple of 16 (sixteen lanes over k taking fused multiply-adds, then _mm512_reduce_add_ps),
/// otherwise ggml_vec_dot_f16 (lanes over 64-element steps, the rest in double). Matching the order makes the F16
/// roundings that follow fall as llama.cpp's do.
/// </summary>
internal static unsafe class GgmlDot
{
    /// <summary>Σ x[i]·y[i] over n values.</summary>
    public static float Dot(float* x, float* y, int n)
    {
        if (n % 16 == 0)
        {
            var c = Vector512<float>.Zero;
            for (int i = 0; i < n; i += 16)
            {
                c = Vector512.FusedMultiplyAdd(Vector512.Load(x + i), Vector512.Load(y + i), c);
            }
            return FloatGemm.ReduceAdd(c);
        }
        return VecDotF16(x, y, n);
    }

    /// <summary>
    /// output[c] = Σⱼ p[j]·V[j, c] for j &lt; count, V's rows <paramref name="stride"/> apart, summed as tinyBLAS sums
    /// over the cache length: lane j mod 16 by fused multiply-adds, then the reduction tree, done for all c at once
    /// with sixteen lane rows in <paramref name="lanes"/> (16·width floats).
    /// </summary>
    public static void WeightedSum(float* p, int count, float* v, int stride, int width, float* lanes, float* output)
    {
        new Span<float>(lanes, 16 * width).Clear();
        for (int j = 0; j < count; j++)
        {
            float pj = p[j];
            float* row = v + (long)j * stride;
            float* lane = lanes + (j & 15) * width;
            int c = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                var weight = Vector512.Create(pj);
                for (; c + 16 <= width; c += 16)
                {
                    Vector512.FusedMultiplyAdd(Vector512.Load(row + c), weight, Vector512.Load(lane + c)).Store(lane + c);
                }
            }
            for (; c < width; c++)
            {
                lane[c] = MathF.FusedMultiplyAdd(row[c], pj, lane[c]);
            }
        }
        // The tree of _mm512_reduce_add_ps, lane rows at a time: (l, l+8), then (l, l+4), then (0, 2), (1, 3), then (0, 1).
        for (int l = 0; l < 8; l++)
        {
            AddRows(lanes + l * width, lanes + (l + 8) * width, width);
        }
        for (int l = 0; l < 4; l++)
        {
            AddRows(lanes + l * width, lanes + (l + 4) * width, width);
        }
        AddRows(lanes, lanes + 2 * width, width);
        AddRows(lanes + width, lanes + 3 * width, width);
        for (int c = 0; c < width; c++)
        {
            output[c] = lanes[c] + lanes[width + c];
        }
    }

    private static void AddRows(float* target, float* source, int width)
    {
        var t = new Span<float>(target, width);
        System.Numerics.Tensors.TensorPrimitives.Add(t, new ReadOnlySpan<float>(source, width), t);
    }

    /// <summary>ggml_vec_dot_f16 with AVX-512: four 16-lane sums over steps of 64, reduced, then the tail in double.</summary>
    private static float VecDotF16(float* x, float* y, int n)
    {
        int np = n & ~63;
        double sum = 0;
        if (np > 0)
        {
            sum = VecDotF16Steps(x, y, np);
        }
        for (int i = np; i < n; i++)
        {
            sum += x[i] * y[i];
        }
        return (float)sum;
    }

    private static float VecDotF16Steps(float* x, float* y, int np)
    {
        Span<float> acc = stackalloc float[64];
        {
            acc.Clear();
            for (int i = 0; i < np; i += 64)
            {
                for (int j = 0; j < 64; j++)
                {
                    acc[j] = MathF.FusedMultiplyAdd(x[i + j], y[i + j], acc[j]);
                }
            }
            for (int l = 0; l < 16; l++)
            {
                acc[l] += acc[16 + l];
                acc[32 + l] += acc[48 + l];
            }
            for (int l = 0; l < 16; l++)
            {
                acc[l] += acc[32 + l];
            }
        }
        return ReduceAdd16(acc[..16]);
    }

    /// <summary>_mm512_reduce_add_ps: halves, then quarters, then pairs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ReduceAdd16(ReadOnlySpan<float> a)
    {
        float t0 = a[8] + a[0], t1 = a[9] + a[1], t2 = a[10] + a[2], t3 = a[11] + a[3];
        float t4 = a[12] + a[4], t5 = a[13] + a[5], t6 = a[14] + a[6], t7 = a[15] + a[7];
        float u0 = t4 + t0, u1 = t5 + t1, u2 = t6 + t2, u3 = t7 + t3;
        float v0 = u0 + u2, v1 = u1 + u3;
        return v0 + v1;
    }
}
