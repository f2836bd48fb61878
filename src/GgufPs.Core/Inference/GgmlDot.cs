using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GgufPs.Inference;

/// <summary>
/// The sums of attention in the order llama.cpp's AVX-512 CPU backend makes them: llamafile's tinyBLAS when the
/// summed length is a multiple of 16 (sixteen lanes over k taking fused multiply-adds, then _mm512_reduce_add_ps),
/// otherwise ggml_vec_dot_f16 (lanes over 64-element steps, the rest in double). Matching the order makes the F16
/// roundings that follow fall as llama.cpp's do. Every <see cref="VectorWidth"/> gives the same bits.
/// </summary>
internal static unsafe class GgmlDot
{
    /// <summary>Σ x[i]·y[i] over n values.</summary>
    public static float Dot(float* x, float* y, int n) => Dot(x, y, n, KernelSupport.FloatWidth);

    internal static float Dot(float* x, float* y, int n, VectorWidth width)
    {
        if (n % 16 != 0)
        {
            return VecDot(x, y, n, width);
        }
        return width switch
        {
            VectorWidth.Vector512 => FloatGemm512.Dot(x, y, n),
            VectorWidth.Vector256 => FloatGemm256.Dot(x, y, n),
            _ => FloatGemm128.Dot(x, y, n),
        };
    }

    /// <summary>
    /// ggml_vec_dot_f32 and ggml_vec_dot_f16 with AVX-512: four 16-lane sums over steps of 64, reduced as
    /// GGML_F32x16_REDUCE does ((0 + 2) + (1 + 3), then across lanes), then the rest added in double.
    /// </summary>
    public static float VecDot(float* x, float* y, int n, VectorWidth width)
    {
        int np = n & ~63;
        double sum = 0;
        if (np > 0)
        {
            sum = width switch
            {
                VectorWidth.Vector512 => SixteenLanes.Sum(StepLanes512(x, y, np)),
                VectorWidth.Vector256 => SixteenLanes.Sum(StepLanes256(x, y, np, 0), StepLanes256(x, y, np, 8)),
                _ => SixteenLanes.Sum(StepLanes128(x, y, np, 0), StepLanes128(x, y, np, 4), StepLanes128(x, y, np, 8), StepLanes128(x, y, np, 12)),
            };
        }
        for (int i = np; i < n; i++)
        {
            sum += x[i] * y[i];
        }
        return (float)sum;
    }

    private static Vector512<float> StepLanes512(float* x, float* y, int np)
    {
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
        for (int i = 0; i < np; i += 64)
        {
            s0 = Vector512.FusedMultiplyAdd(Vector512.Load(x + i), Vector512.Load(y + i), s0);
            s1 = Vector512.FusedMultiplyAdd(Vector512.Load(x + i + 16), Vector512.Load(y + i + 16), s1);
            s2 = Vector512.FusedMultiplyAdd(Vector512.Load(x + i + 32), Vector512.Load(y + i + 32), s2);
            s3 = Vector512.FusedMultiplyAdd(Vector512.Load(x + i + 48), Vector512.Load(y + i + 48), s3);
        }
        return (s0 + s2) + (s1 + s3);
    }

    /// <summary>Lanes <paramref name="offset"/>..offset+7 of the same.</summary>
    private static Vector256<float> StepLanes256(float* x, float* y, int np, int offset)
    {
        Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
        x += offset;
        y += offset;
        for (int i = 0; i < np; i += 64)
        {
            s0 = Vector256.FusedMultiplyAdd(Vector256.Load(x + i), Vector256.Load(y + i), s0);
            s1 = Vector256.FusedMultiplyAdd(Vector256.Load(x + i + 16), Vector256.Load(y + i + 16), s1);
            s2 = Vector256.FusedMultiplyAdd(Vector256.Load(x + i + 32), Vector256.Load(y + i + 32), s2);
            s3 = Vector256.FusedMultiplyAdd(Vector256.Load(x + i + 48), Vector256.Load(y + i + 48), s3);
        }
        return (s0 + s2) + (s1 + s3);
    }

    /// <summary>Lanes <paramref name="offset"/>..offset+3 of the same.</summary>
    private static Vector128<float> StepLanes128(float* x, float* y, int np, int offset)
    {
        Vector128<float> s0 = default, s1 = default, s2 = default, s3 = default;
        x += offset;
        y += offset;
        for (int i = 0; i < np; i += 64)
        {
            s0 = ExactFma.MultiplyAdd(Vector128.Load(x + i), Vector128.Load(y + i), s0);
            s1 = ExactFma.MultiplyAdd(Vector128.Load(x + i + 16), Vector128.Load(y + i + 16), s1);
            s2 = ExactFma.MultiplyAdd(Vector128.Load(x + i + 32), Vector128.Load(y + i + 32), s2);
            s3 = ExactFma.MultiplyAdd(Vector128.Load(x + i + 48), Vector128.Load(y + i + 48), s3);
        }
        return (s0 + s2) + (s1 + s3);
    }

    /// <summary>
    /// scores[j] = Dot(query, key j)·scale for <paramref name="count"/> keys <paramref name="stride"/> floats apart, each
    /// sum exactly as <see cref="Dot(float*, float*, int)"/> makes it. With AVX-512 and a multiple of 16 values,
    /// sixteen keys at a time share one reduction network that adds the same pairs as _mm512_reduce_add_ps does for
    /// each key.
    /// </summary>
    public static void ScaledDots(float* query, float* keys, int stride, int count, int n, float scale, float* scores) =>
        ScaledDots(query, keys, stride, count, n, scale, scores, KernelSupport.FloatWidth);

    internal static void ScaledDots(float* query, float* keys, int stride, int count, int n, float scale, float* scores, VectorWidth width)
    {
        int j = 0;
        if (n % 16 == 0 && width == VectorWidth.Vector512)
        {
            Vector512<float>* sums = stackalloc Vector512<float>[16];
            var factor = Vector512.Create(scale);
            for (; j + 16 <= count; j += 16)
            {
                for (int m = 0; m < 16; m += 4)
                {
                    // Key 4·(m mod 4) + m/4 goes in slot m, so that the network leaves key k in lane k: slots m..m+3
                    // hold keys m/4, m/4 + 4, + 8 and + 12, whose four chains of fused multiply-adds overlap.
                    float* key0 = keys + (long)(j + (m >> 2)) * stride;
                    float* key1 = key0 + 4L * stride, key2 = key0 + 8L * stride, key3 = key0 + 12L * stride;
                    Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
                    for (int i = 0; i < n; i += 16)
                    {
                        var q = Vector512.Load(query + i);
                        c0 = Vector512.FusedMultiplyAdd(q, Vector512.Load(key0 + i), c0);
                        c1 = Vector512.FusedMultiplyAdd(q, Vector512.Load(key1 + i), c1);
                        c2 = Vector512.FusedMultiplyAdd(q, Vector512.Load(key2 + i), c2);
                        c3 = Vector512.FusedMultiplyAdd(q, Vector512.Load(key3 + i), c3);
                    }
                    sums[m] = c0;
                    sums[m + 1] = c1;
                    sums[m + 2] = c2;
                    sums[m + 3] = c3;
                }
                (SixteenLanes.SumSixteen(sums) * factor).Store(scores + j);
            }
        }
        for (; j < count; j++)
        {
            scores[j] = Dot(query, keys + (long)j * stride, n, width) * scale;
        }
    }

    /// <summary>
    /// output[c] = Σⱼ p[j]·V[j, c] for j &lt; count, V's rows <paramref name="stride"/> apart, summed as tinyBLAS sums
    /// over the cache length: lane j mod 16 by fused multiply-adds, then the reduction tree. A block of columns at
    /// a time keeps the sixteen lanes of each in registers.
    /// </summary>
    public static void WeightedSum(float* p, int count, float* v, int stride, int width, float* output) =>
        WeightedSum(p, count, v, stride, width, output, KernelSupport.FloatWidth);

    internal static void WeightedSum(float* p, int count, float* v, int stride, int width, float* output, VectorWidth vectorWidth)
    {
        int c = 0;
        if (vectorWidth == VectorWidth.Vector512)
        {
            for (; c + 16 <= width; c += 16)
            {
                WeightedSumColumns512(p, count, v + c, stride, output + c);
            }
        }
        if (vectorWidth >= VectorWidth.Vector256)
        {
            for (; c + 8 <= width; c += 8)
            {
                WeightedSumColumns256(p, count, v + c, stride, output + c);
            }
        }
        for (; c + 4 <= width; c += 4)
        {
            WeightedSumColumns128(p, count, v + c, stride, output + c);
        }
        Span<float> lanes = stackalloc float[16];
        for (; c < width; c++)
        {
            lanes.Clear();
            for (int j = 0; j < count; j++)
            {
                lanes[j & 15] = MathF.FusedMultiplyAdd(v[(long)j * stride + c], p[j], lanes[j & 15]);
            }
            output[c] = SixteenLanes.Sum(lanes);
        }
    }

    private static void WeightedSumColumns512(float* p, int count, float* v, int stride, float* output)
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

    /// <summary>Eight columns: the lanes of rows j mod 16 &lt; 8 in one pass, the others in a second, then the tree.</summary>
    private static void WeightedSumColumns256(float* p, int count, float* v, int stride, float* output)
    {
        var low = stackalloc Vector256<float>[8];
        var high = stackalloc Vector256<float>[8];
        EightLanes256(p, count, v, stride, 0, low);
        EightLanes256(p, count, v, stride, 8, high);
        Vector256<float> l0 = low[0] + high[0], l1 = low[1] + high[1], l2 = low[2] + high[2], l3 = low[3] + high[3];
        Vector256<float> l4 = low[4] + high[4], l5 = low[5] + high[5], l6 = low[6] + high[6], l7 = low[7] + high[7];
        l0 += l4; l1 += l5; l2 += l6; l3 += l7;
        l0 += l2; l1 += l3;
        (l0 + l1).Store(output);
    }

    /// <summary>The lanes first..first+7: lane first + i takes the rows j with j mod 16 = first + i.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void EightLanes256(float* p, int count, float* v, int stride, int first, Vector256<float>* lanes)
    {
        Vector256<float> l0 = default, l1 = default, l2 = default, l3 = default, l4 = default, l5 = default, l6 = default, l7 = default;
        int j = first;
        for (; j + 8 <= count; j += 16)
        {
            float* row = v + (long)j * stride;
            l0 = Vector256.FusedMultiplyAdd(Vector256.Load(row), Vector256.Create(p[j]), l0);
            l1 = Vector256.FusedMultiplyAdd(Vector256.Load(row + stride), Vector256.Create(p[j + 1]), l1);
            l2 = Vector256.FusedMultiplyAdd(Vector256.Load(row + 2 * stride), Vector256.Create(p[j + 2]), l2);
            l3 = Vector256.FusedMultiplyAdd(Vector256.Load(row + 3 * stride), Vector256.Create(p[j + 3]), l3);
            l4 = Vector256.FusedMultiplyAdd(Vector256.Load(row + 4 * stride), Vector256.Create(p[j + 4]), l4);
            l5 = Vector256.FusedMultiplyAdd(Vector256.Load(row + 5 * stride), Vector256.Create(p[j + 5]), l5);
            l6 = Vector256.FusedMultiplyAdd(Vector256.Load(row + 6 * stride), Vector256.Create(p[j + 6]), l6);
            l7 = Vector256.FusedMultiplyAdd(Vector256.Load(row + 7 * stride), Vector256.Create(p[j + 7]), l7);
        }
        int rest = count - j;
        float* last = v + (long)j * stride;
        if (rest > 0) l0 = Vector256.FusedMultiplyAdd(Vector256.Load(last), Vector256.Create(p[j]), l0);
        if (rest > 1) l1 = Vector256.FusedMultiplyAdd(Vector256.Load(last + stride), Vector256.Create(p[j + 1]), l1);
        if (rest > 2) l2 = Vector256.FusedMultiplyAdd(Vector256.Load(last + 2 * stride), Vector256.Create(p[j + 2]), l2);
        if (rest > 3) l3 = Vector256.FusedMultiplyAdd(Vector256.Load(last + 3 * stride), Vector256.Create(p[j + 3]), l3);
        if (rest > 4) l4 = Vector256.FusedMultiplyAdd(Vector256.Load(last + 4 * stride), Vector256.Create(p[j + 4]), l4);
        if (rest > 5) l5 = Vector256.FusedMultiplyAdd(Vector256.Load(last + 5 * stride), Vector256.Create(p[j + 5]), l5);
        if (rest > 6) l6 = Vector256.FusedMultiplyAdd(Vector256.Load(last + 6 * stride), Vector256.Create(p[j + 6]), l6);
        lanes[0] = l0; lanes[1] = l1; lanes[2] = l2; lanes[3] = l3;
        lanes[4] = l4; lanes[5] = l5; lanes[6] = l6; lanes[7] = l7;
    }

    /// <summary>Four columns, in the two passes of <see cref="WeightedSumColumns256"/>.</summary>
    private static void WeightedSumColumns128(float* p, int count, float* v, int stride, float* output)
    {
        var low = stackalloc Vector128<float>[8];
        var high = stackalloc Vector128<float>[8];
        EightLanes128(p, count, v, stride, 0, low);
        EightLanes128(p, count, v, stride, 8, high);
        Vector128<float> l0 = low[0] + high[0], l1 = low[1] + high[1], l2 = low[2] + high[2], l3 = low[3] + high[3];
        Vector128<float> l4 = low[4] + high[4], l5 = low[5] + high[5], l6 = low[6] + high[6], l7 = low[7] + high[7];
        l0 += l4; l1 += l5; l2 += l6; l3 += l7;
        l0 += l2; l1 += l3;
        (l0 + l1).Store(output);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void EightLanes128(float* p, int count, float* v, int stride, int first, Vector128<float>* lanes)
    {
        Vector128<float> l0 = default, l1 = default, l2 = default, l3 = default, l4 = default, l5 = default, l6 = default, l7 = default;
        int j = first;
        for (; j + 8 <= count; j += 16)
        {
            float* row = v + (long)j * stride;
            l0 = ExactFma.MultiplyAdd(Vector128.Load(row), Vector128.Create(p[j]), l0);
            l1 = ExactFma.MultiplyAdd(Vector128.Load(row + stride), Vector128.Create(p[j + 1]), l1);
            l2 = ExactFma.MultiplyAdd(Vector128.Load(row + 2 * stride), Vector128.Create(p[j + 2]), l2);
            l3 = ExactFma.MultiplyAdd(Vector128.Load(row + 3 * stride), Vector128.Create(p[j + 3]), l3);
            l4 = ExactFma.MultiplyAdd(Vector128.Load(row + 4 * stride), Vector128.Create(p[j + 4]), l4);
            l5 = ExactFma.MultiplyAdd(Vector128.Load(row + 5 * stride), Vector128.Create(p[j + 5]), l5);
            l6 = ExactFma.MultiplyAdd(Vector128.Load(row + 6 * stride), Vector128.Create(p[j + 6]), l6);
            l7 = ExactFma.MultiplyAdd(Vector128.Load(row + 7 * stride), Vector128.Create(p[j + 7]), l7);
        }
        int rest = count - j;
        float* last = v + (long)j * stride;
        if (rest > 0) l0 = ExactFma.MultiplyAdd(Vector128.Load(last), Vector128.Create(p[j]), l0);
        if (rest > 1) l1 = ExactFma.MultiplyAdd(Vector128.Load(last + stride), Vector128.Create(p[j + 1]), l1);
        if (rest > 2) l2 = ExactFma.MultiplyAdd(Vector128.Load(last + 2 * stride), Vector128.Create(p[j + 2]), l2);
        if (rest > 3) l3 = ExactFma.MultiplyAdd(Vector128.Load(last + 3 * stride), Vector128.Create(p[j + 3]), l3);
        if (rest > 4) l4 = ExactFma.MultiplyAdd(Vector128.Load(last + 4 * stride), Vector128.Create(p[j + 4]), l4);
        if (rest > 5) l5 = ExactFma.MultiplyAdd(Vector128.Load(last + 5 * stride), Vector128.Create(p[j + 5]), l5);
        if (rest > 6) l6 = ExactFma.MultiplyAdd(Vector128.Load(last + 6 * stride), Vector128.Create(p[j + 6]), l6);
        lanes[0] = l0; lanes[1] = l1; lanes[2] = l2; lanes[3] = l3;
        lanes[4] = l4; lanes[5] = l5; lanes[6] = l6; lanes[7] = l7;
    }
}
