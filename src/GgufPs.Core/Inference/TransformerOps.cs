using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace GgufPs.Inference;

/// <summary>Row-wise operations of the transformer, with ggml's order of float operations where it matters.</summary>
internal static unsafe class TransformerOps
{
    /// <summary>RMSNorm as ggml_rms_norm followed by the weight: the sum of squares in double, then x·scale·w in float.</summary>
    public static void RmsNorm(float* x, float* y, int n, float[] weight, float eps)
    {
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            sum += x[i] * x[i];
        }
        float mean = (float)(sum / n);
        float scale = 1.0f / MathF.Sqrt(mean + eps);
        var src = new ReadOnlySpan<float>(x, n);
        var dst = new Span<float>(y, n);
        TensorPrimitives.Multiply(src, scale, dst);
        TensorPrimitives.Multiply(dst, weight, dst);
    }

    /// <summary>
    /// LayerNorm as ggml_norm followed by weight and bias: the mean summed in double, the variance as
    /// ggml_vec_cvar_f32 (sixteen lanes of fused multiply-adds reduced in float, the rest in double), then
    /// (x-mean)·scale·w + b in float.
    /// </summary>
    public static void LayerNorm(float* x, float* y, int n, float[] weight, float[]? bias, float eps) =>
        LayerNorm(x, y, n, weight, bias, eps, KernelSupport.FloatWidth);

    internal static void LayerNorm(float* x, float* y, int n, float[] weight, float[]? bias, float eps, VectorWidth width)
    {
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            sum += x[i];
        }
        float mean = (float)(sum / n);
        int k = n & ~15;
        double variance = k == 0 ? 0 : width switch
        {
            VectorWidth.Vector512 => CenteredSquares512(x, y, k, mean),
            VectorWidth.Vector256 => CenteredSquares256(x, y, k, mean),
            _ => CenteredSquares128(x, y, k, mean),
        };
        for (; k < n; k++)
        {
            float v = x[k] - mean;
            y[k] = v;
            variance += v * v;
        }
        float scale = 1.0f / MathF.Sqrt((float)(variance / n) + eps);
        var dst = new Span<float>(y, n);
        TensorPrimitives.Multiply(dst, scale, dst);
        TensorPrimitives.Multiply(dst, weight, dst);
        if (bias is not null)
        {
            TensorPrimitives.Add(dst, bias, dst);
        }
    }

    /// <summary>y = x - mean over n (a multiple of 16) values, and Σ y² in sixteen lanes of fused multiply-adds, reduced.</summary>
    private static float CenteredSquares512(float* x, float* y, int n, float mean)
    {
        var m = Vector512.Create(mean);
        var acc = Vector512<float>.Zero;
        for (int k = 0; k < n; k += 16)
        {
            var v = Vector512.Load(x + k) - m;
            v.Store(y + k);
            acc = Vector512.FusedMultiplyAdd(v, v, acc);
        }
        return SixteenLanes.Sum(acc);
    }

    private static float CenteredSquares256(float* x, float* y, int n, float mean)
    {
        var m = Vector256.Create(mean);
        Vector256<float> low = default, high = default;
        for (int k = 0; k < n; k += 16)
        {
            var v = Vector256.Load(x + k) - m;
            var w = Vector256.Load(x + k + 8) - m;
            v.Store(y + k);
            w.Store(y + k + 8);
            low = Vector256.FusedMultiplyAdd(v, v, low);
            high = Vector256.FusedMultiplyAdd(w, w, high);
        }
        return SixteenLanes.Sum(low, high);
    }

    private static float CenteredSquares128(float* x, float* y, int n, float mean)
    {
        var m = Vector128.Create(mean);
        Vector128<float> q0 = default, q1 = default, q2 = default, q3 = default;
        for (int k = 0; k < n; k += 16)
        {
            var v0 = Vector128.Load(x + k) - m;
            var v1 = Vector128.Load(x + k + 4) - m;
            var v2 = Vector128.Load(x + k + 8) - m;
            var v3 = Vector128.Load(x + k + 12) - m;
            v0.Store(y + k);
            v1.Store(y + k + 4);
            v2.Store(y + k + 8);
            v3.Store(y + k + 12);
            q0 = ExactFma.MultiplyAdd(v0, v0, q0);
            q1 = ExactFma.MultiplyAdd(v1, v1, q1);
            q2 = ExactFma.MultiplyAdd(v2, v2, q2);
            q3 = ExactFma.MultiplyAdd(v3, v3, q3);
        }
        return SixteenLanes.Sum(q0, q1, q2, q3);
    }

    public static void AddBias(float* rows, int count, int n, float[]? bias)
    {
        if (bias is null)
        {
            return;
        }
        for (int t = 0; t < count; t++)
        {
            var row = new Span<float>(rows + (long)t * n, n);
            TensorPrimitives.Add(row, bias, row);
        }
    }

    /// <summary>
    /// The sine/cosine table of RoPE for one position, as ggml_rope_cache_init: θ starts at the position and is
    /// multiplied by base^(-2/n_dims) per pair, in float, divided by the model's frequency factors if any.
    /// </summary>
    public static void RopeCache(int position, int dims, float freqBase, float freqScale, float[]? factors, Span<float> cache)
    {
        float thetaScale = MathF.Pow(freqBase, -2.0f / dims);
        float theta = position;
        for (int i0 = 0; i0 < dims; i0 += 2)
        {
            float ff = factors is null ? 1.0f : factors[i0 / 2];
            float angle = freqScale * (theta / ff);
            cache[i0] = MathF.Cos(angle);
            cache[i0 + 1] = MathF.Sin(angle);
            theta *= thetaScale;
        }
    }

    /// <summary>Rotates the first dims values of each head: adjacent pairs (normal mode) or halves (NeoX mode).</summary>
    public static void ApplyRope(float* head, int dims, ReadOnlySpan<float> cache, bool neox)
    {
        if (neox)
        {
            int half = dims / 2;
            for (int i0 = 0; i0 < dims; i0 += 2)
            {
                float cos = cache[i0], sin = cache[i0 + 1];
                int i = i0 / 2;
                float x0 = head[i], x1 = head[i + half];
                head[i] = x0 * cos - x1 * sin;
                head[i + half] = x0 * sin + x1 * cos;
            }
        }
        else
        {
            for (int i0 = 0; i0 < dims; i0 += 2)
            {
                float cos = cache[i0], sin = cache[i0 + 1];
                float x0 = head[i0], x1 = head[i0 + 1];
                head[i0] = x0 * cos - x1 * sin;
                head[i0 + 1] = x0 * sin + x1 * cos;
            }
        }
    }
}
