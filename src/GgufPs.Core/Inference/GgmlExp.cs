using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GgufPs.Inference;

/// <summary>
/// The vectorised expf of ggml's CPU backend in its AVX-512 form (ggml_v_expf, adapted from Arm's optimized
/// routines, about 1.5 ulp), which llama.cpp uses in softmax and SiLU on whole groups of 16, and glibc's expf for
/// the leftover elements. We mirror llama.cpp's AVX-512 build (the oracle's) whatever this machine has, so results
/// do not depend on it: the Vector256 and Vector128 forms make the same operations per lane. Matching it keeps
/// probabilities bit-identical, so the F16 rounding that follows in attention falls the same way.
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
    public static double SoftmaxExp(float* x, int n, float shift, float* y) => SoftmaxExp(x, n, shift, y, KernelSupport.FloatWidth);

    internal static double SoftmaxExp(float* x, int n, float shift, float* y, VectorWidth width)
    {
        double sum = 0;
        var tail = stackalloc float[GroupSize];
        for (int i = 0; i < n; i += GroupSize)
        {
            float* source = x + i;
            float* target = y + i;
            if (i + GroupSize > n)
            {
                for (int j = 0; j < GroupSize; j++)
                {
                    tail[j] = i + j < n ? x[i + j] : float.NegativeInfinity;
                }
                source = tail;
                target = tail;
            }
            sum += width switch
            {
                VectorWidth.Vector512 => ShiftedExp512(source, shift, target),
                VectorWidth.Vector256 => ShiftedExp256(source, shift, target),
                _ => ShiftedExp128(source, shift, target),
            };
            if (target == tail)
            {
                for (int j = 0; i + j < n; j++)
                {
                    y[i + j] = tail[j];
                }
            }
        }
        return sum;
    }

    /// <summary>exp(x - shift) of sixteen values into y, and their sum as _mm512_reduce_add_ps makes it.</summary>
    private static float ShiftedExp512(float* x, float shift, float* y)
    {
        var v = Vector(Vector512.Load(x) - Vector512.Create(shift));
        v.Store(y);
        return SixteenLanes.Sum(v);
    }

    private static float ShiftedExp256(float* x, float shift, float* y)
    {
        var s = Vector256.Create(shift);
        var low = Vector(Vector256.Load(x) - s);
        var high = Vector(Vector256.Load(x + 8) - s);
        low.Store(y);
        high.Store(y + 8);
        return SixteenLanes.Sum(low, high);
    }

    private static float ShiftedExp128(float* x, float shift, float* y)
    {
        var s = Vector128.Create(shift);
        var q0 = Vector(Vector128.Load(x) - s);
        var q1 = Vector(Vector128.Load(x + 4) - s);
        var q2 = Vector(Vector128.Load(x + 8) - s);
        var q3 = Vector(Vector128.Load(x + 12) - s);
        q0.Store(y);
        q1.Store(y + 4);
        q2.Store(y + 8);
        q3.Store(y + 12);
        return SixteenLanes.Sum(q0, q1, q2, q3);
    }

    /// <summary>silu(x)·g over a row, groups of 16 with the vector exp and the tail with expf, as ggml_vec_swiglu_f32.</summary>
    public static void SwiGlu(float* x, float* g, int n) => SwiGlu(x, g, n, KernelSupport.FloatWidth);

    internal static void SwiGlu(float* x, float* g, int n, VectorWidth width)
    {
        int i = 0;
        for (; i + GroupSize <= n; i += GroupSize)
        {
            switch (width)
            {
                case VectorWidth.Vector512:
                {
                    var v = Vector512.Load(x + i);
                    (v / (Vector512<float>.One + Vector(Vector512<float>.Zero - v)) * Vector512.Load(g + i)).Store(x + i);
                    break;
                }
                case VectorWidth.Vector256:
                    for (int j = 0; j < GroupSize; j += 8)
                    {
                        var v = Vector256.Load(x + i + j);
                        (v / (Vector256<float>.One + Vector(Vector256<float>.Zero - v)) * Vector256.Load(g + i + j)).Store(x + i + j);
                    }
                    break;
                default:
                    for (int j = 0; j < GroupSize; j += 4)
                    {
                        var v = Vector128.Load(x + i + j);
                        (v / (Vector128<float>.One + Vector(Vector128<float>.Zero - v)) * Vector128.Load(g + i + j)).Store(x + i + j);
                    }
                    break;
            }
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

    /// <summary>The same operations on eight lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Vector(Vector256<float> x)
    {
        var r = Vector256.Create(Shift);
        var z = Vector256.FusedMultiplyAdd(x, Vector256.Create(Log2E), r);
        var n = z - r;
        var b = Vector256.FusedMultiplyAdd(-n, Vector256.Create(Ln2Lo), Vector256.FusedMultiplyAdd(-n, Vector256.Create(Ln2Hi), x));
        var u = b * b;
        var j = Vector256.FusedMultiplyAdd(
            Vector256.FusedMultiplyAdd(Vector256.FusedMultiplyAdd(Vector256.Create(C5), b, Vector256.Create(C4)), u,
                Vector256.FusedMultiplyAdd(Vector256.Create(C3), b, Vector256.Create(C2))),
            u,
            Vector256.FusedMultiplyAdd(Vector256.Create(C1), b, Vector256<float>.One));
        var ni = Vector256.ConvertToInt32(n);
        var half = ni >> 1;
        var p1 = Vector256.As<int, float>((half + Vector256.Create(127)) << 23);
        var p2 = Vector256.As<int, float>((ni - half + Vector256.Create(127)) << 23);
        var result = j * p1 * p2;
        var large = Vector256.GreaterThan(Vector256.Abs(n), Vector256.Create(192f));
        if (large == Vector256<float>.Zero)
        {
            return result;
        }
        var alternative = Vector256.ConditionalSelect(Vector256.LessThanOrEqual(n, Vector256<float>.Zero), Vector256<float>.Zero, Vector256.Create(float.PositiveInfinity));
        return Vector256.ConditionalSelect(large, alternative, result);
    }

    /// <summary>The same operations on four lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Vector(Vector128<float> x)
    {
        var r = Vector128.Create(Shift);
        var z = ExactFma.MultiplyAdd(x, Vector128.Create(Log2E), r);
        var n = z - r;
        var b = ExactFma.MultiplyAdd(-n, Vector128.Create(Ln2Lo), ExactFma.MultiplyAdd(-n, Vector128.Create(Ln2Hi), x));
        var u = b * b;
        var j = ExactFma.MultiplyAdd(
            ExactFma.MultiplyAdd(ExactFma.MultiplyAdd(Vector128.Create(C5), b, Vector128.Create(C4)), u,
                ExactFma.MultiplyAdd(Vector128.Create(C3), b, Vector128.Create(C2))),
            u,
            ExactFma.MultiplyAdd(Vector128.Create(C1), b, Vector128<float>.One));
        var ni = Vector128.ConvertToInt32(n);
        var half = ni >> 1;
        var p1 = Vector128.As<int, float>((half + Vector128.Create(127)) << 23);
        var p2 = Vector128.As<int, float>((ni - half + Vector128.Create(127)) << 23);
        var result = j * p1 * p2;
        var large = Vector128.GreaterThan(Vector128.Abs(n), Vector128.Create(192f));
        if (large == Vector128<float>.Zero)
        {
            return result;
        }
        var alternative = Vector128.ConditionalSelect(Vector128.LessThanOrEqual(n, Vector128<float>.Zero), Vector128<float>.Zero, Vector128.Create(float.PositiveInfinity));
        return Vector128.ConditionalSelect(large, alternative, result);
    }
}
