using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace GgufPs.Inference;

/// <summary>
/// Y = X·Wᵀ with float weights (F32, F16, BF16, or any type decoded to floats), summed in the order of llamafile's
/// tinyBLAS, which llama.cpp's CPU backend uses for these types: each output keeps sixteen lanes over k that take
/// fused multiply-adds in k order, then one _mm512_reduce_add_ps. Matching that order keeps the rounding of the
/// next layer's activations identical to llama.cpp's. A panel of 64 weight rows is decoded into a buffer that stays
/// in L2 while every 6-token tile of the batch passes over it, 4 rows × 6 tokens of sums in registers.
/// Rows whose length is not a multiple of 16 (tinyBLAS declines them) follow ggml_vec_dot_f32's order instead.
/// </summary>
internal static unsafe class FloatGemm
{
    private const int PanelRows = 64;
    private const int RowTile = 4;
    private const int TokenTile = 6;

    private static readonly bool Accelerated = Vector512.IsHardwareAccelerated;

    /// <summary>y[t·ldy + n] = Σₖ x[t·K + k]·W[n, k] for t &lt; tokens and n &lt; W.Rows; x is already rounded for W's type.</summary>
    public static void Multiply(WeightMatrix w, float* x, int tokens, float* y, int ldy, int threads)
    {
        int panels = (w.Rows + PanelRows - 1) / PanelRows;
        int workers = Math.Max(1, Math.Min(threads, panels));
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (worker) =>
        {
            int k = w.Columns;
            float* panel = (float*)NativeMemory.AlignedAlloc((nuint)((long)PanelRows * k * sizeof(float)), 64);
            try
            {
                int first = (int)((long)panels * worker / workers);
                int last = (int)((long)panels * (worker + 1) / workers);
                for (int p = first; p < last; p++)
                {
                    int n0 = p * PanelRows;
                    int rows = Math.Min(PanelRows, w.Rows - n0);
                    for (int r = 0; r < rows; r++)
                    {
                        w.DecodeRow(n0 + r, 0, new Span<float>(panel + (long)r * k, k));
                    }
                    if (k % 16 == 0 && Accelerated)
                    {
                        MultiplyPanel(panel, rows, k, x, tokens, y + n0, ldy);
                    }
                    else
                    {
                        MultiplyPanelVecDot(panel, rows, k, x, tokens, y + n0, ldy);
                    }
                }
            }
            finally
            {
                NativeMemory.AlignedFree(panel);
            }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MultiplyPanel(float* panel, int rows, int k, float* x, int tokens, float* y, int ldy)
    {
        for (int t0 = 0; t0 < tokens; t0 += TokenTile)
        {
            int nt = Math.Min(TokenTile, tokens - t0);
            for (int r0 = 0; r0 < rows; r0 += RowTile)
            {
                int nr = Math.Min(RowTile, rows - r0);
                if (nr == RowTile && nt == TokenTile)
                {
                    Kernel4x6(panel + (long)r0 * k, x + (long)t0 * k, k, y + (long)t0 * ldy + r0, ldy);
                }
                else
                {
                    for (int t = 0; t < nt; t++)
                    {
                        for (int r = 0; r < nr; r++)
                        {
                            y[(long)(t0 + t) * ldy + r0 + r] = Lanes(panel + (long)(r0 + r) * k, x + (long)(t0 + t) * k, k);
                        }
                    }
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel4x6(float* w, float* x, int k, float* y, int ldy)
    {
        float* w0 = w, w1 = w + k, w2 = w + 2 * k, w3 = w + 3 * k;
        float* x0 = x, x1 = x + k, x2 = x + 2 * k, x3 = x + 3 * k, x4 = x + 4 * k, x5 = x + 5 * k;
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default, c04 = default, c05 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default, c14 = default, c15 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default, c24 = default, c25 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default, c34 = default, c35 = default;
        for (int l = 0; l < k; l += 16)
        {
            var b0 = Vector512.Load(x0 + l);
            var b1 = Vector512.Load(x1 + l);
            var b2 = Vector512.Load(x2 + l);
            var b3 = Vector512.Load(x3 + l);
            var b4 = Vector512.Load(x4 + l);
            var b5 = Vector512.Load(x5 + l);
            var a = Vector512.Load(w0 + l);
            c00 = Vector512.FusedMultiplyAdd(a, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(a, b1, c01);
            c02 = Vector512.FusedMultiplyAdd(a, b2, c02);
            c03 = Vector512.FusedMultiplyAdd(a, b3, c03);
            c04 = Vector512.FusedMultiplyAdd(a, b4, c04);
            c05 = Vector512.FusedMultiplyAdd(a, b5, c05);
            a = Vector512.Load(w1 + l);
            c10 = Vector512.FusedMultiplyAdd(a, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(a, b1, c11);
            c12 = Vector512.FusedMultiplyAdd(a, b2, c12);
            c13 = Vector512.FusedMultiplyAdd(a, b3, c13);
            c14 = Vector512.FusedMultiplyAdd(a, b4, c14);
            c15 = Vector512.FusedMultiplyAdd(a, b5, c15);
            a = Vector512.Load(w2 + l);
            c20 = Vector512.FusedMultiplyAdd(a, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(a, b1, c21);
            c22 = Vector512.FusedMultiplyAdd(a, b2, c22);
            c23 = Vector512.FusedMultiplyAdd(a, b3, c23);
            c24 = Vector512.FusedMultiplyAdd(a, b4, c24);
            c25 = Vector512.FusedMultiplyAdd(a, b5, c25);
            a = Vector512.Load(w3 + l);
            c30 = Vector512.FusedMultiplyAdd(a, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(a, b1, c31);
            c32 = Vector512.FusedMultiplyAdd(a, b2, c32);
            c33 = Vector512.FusedMultiplyAdd(a, b3, c33);
            c34 = Vector512.FusedMultiplyAdd(a, b4, c34);
            c35 = Vector512.FusedMultiplyAdd(a, b5, c35);
        }
        Store(y, ldy, 0, c00, c10, c20, c30);
        Store(y, ldy, 1, c01, c11, c21, c31);
        Store(y, ldy, 2, c02, c12, c22, c32);
        Store(y, ldy, 3, c03, c13, c23, c33);
        Store(y, ldy, 4, c04, c14, c24, c34);
        Store(y, ldy, 5, c05, c15, c25, c35);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* y, int ldy, int t, Vector512<float> r0, Vector512<float> r1, Vector512<float> r2, Vector512<float> r3)
    {
        float* row = y + (long)t * ldy;
        row[0] = ReduceAdd(r0);
        row[1] = ReduceAdd(r1);
        row[2] = ReduceAdd(r2);
        row[3] = ReduceAdd(r3);
    }

    /// <summary>_mm512_reduce_add_ps as GCC expands it: upper + lower 256, then 128, then two shuffled adds.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ReduceAdd(Vector512<float> v)
    {
        var a = v.GetUpper() + v.GetLower();
        var b = a.GetUpper() + a.GetLower();
        float e0 = b.GetElement(0) + b.GetElement(2);
        float e1 = b.GetElement(1) + b.GetElement(3);
        return e0 + e1;
    }

    /// <summary>One output in tinyBLAS's order, for tile edges.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Lanes(float* w, float* x, int k)
    {
        var c = Vector512<float>.Zero;
        for (int l = 0; l < k; l += 16)
        {
            c = Vector512.FusedMultiplyAdd(Vector512.Load(w + l), Vector512.Load(x + l), c);
        }
        return ReduceAdd(c);
    }

    /// <summary>ggml_vec_dot_f32's order: four 16-lane sums over 64-element steps, reduced in pairs, the rest in double.</summary>
    private static void MultiplyPanelVecDot(float* panel, int rows, int k, float* x, int tokens, float* y, int ldy)
    {
        int np = k & ~63;
        Span<float> acc = stackalloc float[64];
        for (int t = 0; t < tokens; t++)
        {
            float* xt = x + (long)t * k;
            for (int r = 0; r < rows; r++)
            {
                float* wr = panel + (long)r * k;
                double sum = 0;
                if (np > 0)
                {
                    acc.Clear();
                    for (int i = 0; i < np; i += 64)
                    {
                        for (int j = 0; j < 64; j++)
                        {
                            acc[j] = MathF.FusedMultiplyAdd(wr[i + j], xt[i + j], acc[j]);
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
                    sum = GgmlDot.ReduceAdd16(acc[..16]);
                }
                for (int i = np; i < k; i++)
                {
                    sum += wr[i] * xt[i];
                }
                y[(long)t * ldy + r] = (float)sum;
            }
        }
    }
}
