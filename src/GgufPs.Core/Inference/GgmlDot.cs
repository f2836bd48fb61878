using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
    /// scores[j] = Dot(query, key j)·scale for <paramref name="count"/> keys <paramref name="stride"/> floats apart, each
    /// sum exactly as <see cref="Dot"/> makes it. With AVX-512 and a multiple of 16 values, sixteen keys at a time
    /// share one reduction network that adds the same pairs as _mm512_reduce_add_ps does for each key.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ScaledDots(float* query, float* keys, int stride, int count, int n, float scale, float* scores)
    {
        int j = 0;
        if (n % 16 == 0 && Avx512F.IsSupported)
        {
            Vector512<float>* sums = stackalloc Vector512<float>[16];
            var factor = Vector512.Create(scale);
            for (; j + 16 <= count; j += 16)
            {
                for (int m = 0; m < 16; m++)
                {
                    // Key 4·(m mod 4) + m/4 goes in slot m, so that the network leaves key k in lane k.
                    float* key = keys + (long)(j + 4 * (m & 3) + (m >> 2)) * stride;
                    var c = Vector512<float>.Zero;
                    for (int i = 0; i < n; i += 16)
                    {
                        c = Vector512.FusedMultiplyAdd(Vector512.Load(query + i), Vector512.Load(key + i), c);
                    }
                    sums[m] = c;
                }
                (ReduceSixteen(sums) * factor).Store(scores + j);
            }
        }
        for (; j < count; j++)
        {
            scores[j] = Dot(query, keys + (long)j * stride, n) * scale;
        }
    }

    /// <summary>
    /// Sixteen _mm512_reduce_add_ps at once: halves (lane l + lane l+8), quarters (l + l+4), then (0 + 2, 1 + 3),
    /// then the pair; slot 4t + i ends in lane 4i + t.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Vector512<float> ReduceSixteen(Vector512<float>* s)
    {
        var a0 = Halves(s[0], s[1]);
        var a1 = Halves(s[2], s[3]);
        var a2 = Halves(s[4], s[5]);
        var a3 = Halves(s[6], s[7]);
        var a4 = Halves(s[8], s[9]);
        var a5 = Halves(s[10], s[11]);
        var a6 = Halves(s[12], s[13]);
        var a7 = Halves(s[14], s[15]);
        var b0 = Quarters(a0, a1);
        var b1 = Quarters(a2, a3);
        var b2 = Quarters(a4, a5);
        var b3 = Quarters(a6, a7);
        var e0 = Avx512F.Shuffle(b0, b1, 0b01_00_01_00) + Avx512F.Shuffle(b0, b1, 0b11_10_11_10);
        var e1 = Avx512F.Shuffle(b2, b3, 0b01_00_01_00) + Avx512F.Shuffle(b2, b3, 0b11_10_11_10);
        return Avx512F.Shuffle(e0, e1, 0b10_00_10_00) + Avx512F.Shuffle(e0, e1, 0b11_01_11_01);
    }

    /// <summary>Lanes l and l+8 of x added in the lower half, of y in the upper.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Halves(Vector512<float> x, Vector512<float> y) =>
        Avx512F.Shuffle4x128(x, y, 0b01_00_01_00) + Avx512F.Shuffle4x128(x, y, 0b11_10_11_10);

    /// <summary>Within each half of x and of y, lanes l and l+4 added: one key's four sums per 128-bit quarter.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Quarters(Vector512<float> x, Vector512<float> y) =>
        Avx512F.Shuffle4x128(x, y, 0b10_00_10_00) + Avx512F.Shuffle4x128(x, y, 0b11_01_11_01);

    /// <summary>
    /// output[c] = Σⱼ p[j]·V[j, c] for j &lt; count, V's rows <paramref name="stride"/> apart, summed as tinyBLAS sums
    /// over the cache length: lane j mod 16 by fused multiply-adds, then the reduction tree. Sixteen columns at a
    /// time keep the sixteen lanes in registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void WeightedSum(float* p, int count, float* v, int stride, int width, float* output)
    {
        int c = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; c + 16 <= width; c += 16)
            {
                WeightedSumColumns(p, count, v + c, stride, output + c);
            }
        }
        Span<float> lanes = stackalloc float[16];
        for (; c < width; c++)
        {
            lanes.Clear();
            for (int j = 0; j < count; j++)
            {
                lanes[j & 15] = MathF.FusedMultiplyAdd(v[(long)j * stride + c], p[j], lanes[j & 15]);
            }
            output[c] = ReduceAdd16(lanes);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightedSumColumns(float* p, int count, float* v, int stride, float* output)
    {
        Vector512<float> l0 = default, l1 = default, l2 = default, l3 = default, l4 = default, l5 = default, l6 = default, l7 = default;
        Vector512<float> l8 = default, l9 = default, l10 = default, l11 = default, l12 = default, l13 = default, l14 = default, l15 = default;
        int j = 0;
        for (; j + 16 <= count; j += 16)
        {
            float* row = v + (long)j * stride;
            l0 = Vector512.FusedMultiplyAdd(Vector512.Load(row), Vector512.Create(p[j]), l0);
            l1 = Vector512.FusedMultiplyAdd(Vector512.Load(row + stride), Vector512.Create(p[j + 1]), l1);
            l2 = Vector512.FusedMultiplyAdd(Vector512.Load(row + 2 * stride), Vector512.Create(p[j + 2]), l2);
            l3 = Vector512.FusedMultiplyAdd(Vector512.Load(row + 3 * stride), Vector512.Create(p[j + 3]), l3);
            l4 = Vector512.FusedMultiplyAdd(Vector512.Load(row + 4 * stride), Vector512.Create(p[j + 4]), l4);
            l5 = Vector512.FusedMultiplyAdd(Vector512.Load(row + 5 * stride), Vector512.Create(p[j + 5]), l5);
            l6 = Vector512.FusedMultiplyAdd(Vector512.Load(row + 6 * stride), Vector512.Create(p[j + 6]), l6);
            l7 = Vector512.FusedMultiplyAdd(Vector512.Load(row + 7 * stride), Vector512.Create(p[j + 7]), l7);
            row += 8L * stride;
            l8 = Vector512.FusedMultiplyAdd(Vector512.Load(row), Vector512.Create(p[j + 8]), l8);
            l9 = Vector512.FusedMultiplyAdd(Vector512.Load(row + stride), Vector512.Create(p[j + 9]), l9);
            l10 = Vector512.FusedMultiplyAdd(Vector512.Load(row + 2 * stride), Vector512.Create(p[j + 10]), l10);
            l11 = Vector512.FusedMultiplyAdd(Vector512.Load(row + 3 * stride), Vector512.Create(p[j + 11]), l11);
            l12 = Vector512.FusedMultiplyAdd(Vector512.Load(row + 4 * stride), Vector512.Create(p[j + 12]), l12);
            l13 = Vector512.FusedMultiplyAdd(Vector512.Load(row + 5 * stride), Vector512.Create(p[j + 13]), l13);
            l14 = Vector512.FusedMultiplyAdd(Vector512.Load(row + 6 * stride), Vector512.Create(p[j + 14]), l14);
            l15 = Vector512.FusedMultiplyAdd(Vector512.Load(row + 7 * stride), Vector512.Create(p[j + 15]), l15);
        }
        // The last partial round: lane l takes row j + l while there is one.
        int rest = count - j;
        float* last = v + (long)j * stride;
        if (rest > 0) l0 = Vector512.FusedMultiplyAdd(Vector512.Load(last), Vector512.Create(p[j]), l0);
        if (rest > 1) l1 = Vector512.FusedMultiplyAdd(Vector512.Load(last + stride), Vector512.Create(p[j + 1]), l1);
        if (rest > 2) l2 = Vector512.FusedMultiplyAdd(Vector512.Load(last + 2 * stride), Vector512.Create(p[j + 2]), l2);
        if (rest > 3) l3 = Vector512.FusedMultiplyAdd(Vector512.Load(last + 3 * stride), Vector512.Create(p[j + 3]), l3);
        if (rest > 4) l4 = Vector512.FusedMultiplyAdd(Vector512.Load(last + 4 * stride), Vector512.Create(p[j + 4]), l4);
        if (rest > 5) l5 = Vector512.FusedMultiplyAdd(Vector512.Load(last + 5 * stride), Vector512.Create(p[j + 5]), l5);
        if (rest > 6) l6 = Vector512.FusedMultiplyAdd(Vector512.Load(last + 6 * stride), Vector512.Create(p[j + 6]), l6);
        if (rest > 7) l7 = Vector512.FusedMultiplyAdd(Vector512.Load(last + 7 * stride), Vector512.Create(p[j + 7]), l7);
        last += 8L * stride;
        if (rest > 8) l8 = Vector512.FusedMultiplyAdd(Vector512.Load(last), Vector512.Create(p[j + 8]), l8);
        if (rest > 9) l9 = Vector512.FusedMultiplyAdd(Vector512.Load(last + stride), Vector512.Create(p[j + 9]), l9);
        if (rest > 10) l10 = Vector512.FusedMultiplyAdd(Vector512.Load(last + 2 * stride), Vector512.Create(p[j + 10]), l10);
        if (rest > 11) l11 = Vector512.FusedMultiplyAdd(Vector512.Load(last + 3 * stride), Vector512.Create(p[j + 11]), l11);
        if (rest > 12) l12 = Vector512.FusedMultiplyAdd(Vector512.Load(last + 4 * stride), Vector512.Create(p[j + 12]), l12);
        if (rest > 13) l13 = Vector512.FusedMultiplyAdd(Vector512.Load(last + 5 * stride), Vector512.Create(p[j + 13]), l13);
        if (rest > 14) l14 = Vector512.FusedMultiplyAdd(Vector512.Load(last + 6 * stride), Vector512.Create(p[j + 14]), l14);
        // The tree of _mm512_reduce_add_ps across lanes: (l, l+8), then (l, l+4), then (0, 2), (1, 3), then (0, 1).
        l0 += l8; l1 += l9; l2 += l10; l3 += l11; l4 += l12; l5 += l13; l6 += l14; l7 += l15;
        l0 += l4; l1 += l5; l2 += l6; l3 += l7;
        l0 += l2; l1 += l3;
        (l0 + l1).Store(output);
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
