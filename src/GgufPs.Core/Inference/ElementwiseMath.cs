using System.Numerics;
using System.Runtime.CompilerServices;

namespace GgufPs.Inference;

/// <summary>
/// The element-wise float loops the graph runs per row, per head and per position. They do what TensorPrimitives
/// does with the same results, but are compiled fully optimized at their first call: TensorPrimitives' generic
/// operators run as unoptimized tier-0 code for the first thousands of calls, which made the first chunk of a cold
/// process pay several times the attention's steady cost.
/// </summary>
internal static unsafe class ElementwiseMath
{
    /// <summary>The largest value, as Math.Max orders them (NaN wins, +0 above -0), as TensorPrimitives.Max.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Max(float* x, int n)
    {
        float max = x[0];
        int i = 0;
        if (n >= 2 * Vector<float>.Count)
        {
            var m = Unsafe.ReadUnaligned<Vector<float>>(x);
            for (i = Vector<float>.Count; i + Vector<float>.Count <= n; i += Vector<float>.Count)
            {
                m = Vector.Max(m, Unsafe.ReadUnaligned<Vector<float>>(x + i));
            }
            for (int l = 0; l < Vector<float>.Count; l++)
            {
                max = Math.Max(max, m[l]);
            }
        }
        for (; i < n; i++)
        {
            max = Math.Max(max, x[i]);
        }
        return max;
    }

    /// <summary>x[i] *= factor.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Scale(float* x, int n, float factor)
    {
        int i = 0;
        var f = new Vector<float>(factor);
        for (; i + Vector<float>.Count <= n; i += Vector<float>.Count)
        {
            Unsafe.WriteUnaligned(x + i, Unsafe.ReadUnaligned<Vector<float>>(x + i) * f);
        }
        for (; i < n; i++)
        {
            x[i] *= factor;
        }
    }

    /// <summary>x[i] += y[i].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Add(float* x, float* y, long n)
    {
        long i = 0;
        for (; i + Vector<float>.Count <= n; i += Vector<float>.Count)
        {
            Unsafe.WriteUnaligned(x + i, Unsafe.ReadUnaligned<Vector<float>>(x + i) + Unsafe.ReadUnaligned<Vector<float>>(y + i));
        }
        for (; i < n; i++)
        {
            x[i] += y[i];
        }
    }
}
