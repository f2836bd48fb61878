using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GgufPs.Inference;

/// <summary>
/// Y = X · Wᵀ for a weight matrix in any block format, with float accumulation. Weights are decoded a panel at a
/// time (a few rows by <see cref="KBlock"/> columns) into a small buffer that stays in L1, so the model is never
/// dequantized as a whole; the activations are packed once per call into k-blocks of eight tokens. The micro-kernel
/// keeps 8 tokens × 32 rows of sums in AVX-512 registers (8 × 16 with AVX2).
/// </summary>
internal static unsafe class PackedGemm
{
    public const int KBlock = 256;
    public const int TokenTile = 8;

    private static readonly bool Use512 = Avx512F.IsSupported;

    public static int PanelRows => Use512 ? 32 : 16;

    /// <summary>
    /// y[t·ldy + n] = Σₖ x[t·K + k]·W[n, k] for t &lt; <paramref name="tokens"/> and n &lt; W.Rows. <paramref name="x"/> is
    /// already rounded to the weight's activation format.
    /// </summary>
    public static void Multiply(WeightMatrix w, float* x, int tokens, float* y, int ldy, int threads)
    {
        int k = w.Columns;
        int kBlocks = (k + KBlock - 1) / KBlock;
        int tiles = (tokens + TokenTile - 1) / TokenTile;
        long packedLength = (long)kBlocks * tiles * KBlock * TokenTile;
        float* packed = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(packedLength * sizeof(float)), 64);
        try
        {
            PackActivations(x, tokens, k, packed, tiles, threads);
            int panelRows = PanelRows;
            int panels = (w.Rows + panelRows - 1) / panelRows;
            int workers = Math.Max(1, Math.Min(threads, panels));
            Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, worker =>
            {
                int first = (int)((long)panels * worker / workers);
                int last = (int)((long)panels * (worker + 1) / workers);
                RunPanels(w, packed, tokens, tiles, kBlocks, y, ldy, first, last);
            });
        }
        finally
        {
            System.Runtime.InteropServices.NativeMemory.AlignedFree(packed);
        }
    }

    private static void PackActivations(float* x, int tokens, int k, float* packed, int tiles, int threads)
    {
        int kBlocks = (k + KBlock - 1) / KBlock;
        Parallel.For(0, tiles, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) }, tile =>
        {
            for (int b = 0; b < kBlocks; b++)
            {
                float* dst = packed + ((long)b * tiles + tile) * KBlock * TokenTile;
                int k0 = b * KBlock;
                int kLen = Math.Min(KBlock, k - k0);
                for (int m = 0; m < TokenTile; m++)
                {
                    int t = tile * TokenTile + m;
                    if (t < tokens)
                    {
                        float* src = x + (long)t * k + k0;
                        for (int kk = 0; kk < kLen; kk++)
                        {
                            dst[kk * TokenTile + m] = src[kk];
                        }
                    }
                    else
                    {
                        for (int kk = 0; kk < kLen; kk++)
                        {
                            dst[kk * TokenTile + m] = 0;
                        }
                    }
                }
            }
        });
    }

    private static void RunPanels(WeightMatrix w, float* packed, int tokens, int tiles, int kBlocks, float* y, int ldy, int firstPanel, int lastPanel)
    {
        int panelRows = PanelRows;
        int k = w.Columns;
        var rowBuffer = new float[panelRows * KBlock];
        float* panel = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(panelRows * KBlock * sizeof(float)), 64);
        try
        {
            for (int b = 0; b < kBlocks; b++)
            {
                int k0 = b * KBlock;
                int kLen = Math.Min(KBlock, k - k0);
                for (int p = firstPanel; p < lastPanel; p++)
                {
                    int n0 = p * panelRows;
                    int rows = Math.Min(panelRows, w.Rows - n0);
                    for (int r = 0; r < rows; r++)
                    {
                        w.DecodeRow(n0 + r, k0, rowBuffer.AsSpan(r * KBlock, kLen));
                    }
                    fixed (float* rb = rowBuffer)
                    {
                        for (int kk = 0; kk < kLen; kk++)
                        {
                            float* dst = panel + kk * panelRows;
                            for (int r = 0; r < rows; r++)
                            {
                                dst[r] = rb[r * KBlock + kk];
                            }
                            for (int r = rows; r < panelRows; r++)
                            {
                                dst[r] = 0;
                            }
                        }
                    }
                    for (int tile = 0; tile < tiles; tile++)
                    {
                        float* xt = packed + ((long)b * tiles + tile) * KBlock * TokenTile;
                        int t0 = tile * TokenTile;
                        int count = Math.Min(TokenTile, tokens - t0);
                        float* yt = y + (long)t0 * ldy + n0;
                        if (Use512)
                        {
                            Kernel512(panel, xt, kLen, yt, ldy, rows, count, b > 0);
                        }
                        else
                        {
                            Kernel256(panel, xt, kLen, yt, ldy, rows, count, b > 0);
                        }
                    }
                }
            }
        }
        finally
        {
            System.Runtime.InteropServices.NativeMemory.AlignedFree(panel);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512(float* panel, float* xt, int kLen, float* y, int ldy, int rows, int tokens, bool accumulate)
    {
        Vector512<float> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default, a30 = default, a31 = default;
        Vector512<float> a40 = default, a41 = default, a50 = default, a51 = default, a60 = default, a61 = default, a70 = default, a71 = default;
        for (int kk = 0; kk < kLen; kk++)
        {
            var w0 = Vector512.Load(panel);
            var w1 = Vector512.Load(panel + 16);
            panel += 32;
            var b = Vector512.Create(xt[0]);
            a00 = Avx512F.FusedMultiplyAdd(w0, b, a00);
            a01 = Avx512F.FusedMultiplyAdd(w1, b, a01);
            b = Vector512.Create(xt[1]);
            a10 = Avx512F.FusedMultiplyAdd(w0, b, a10);
            a11 = Avx512F.FusedMultiplyAdd(w1, b, a11);
            b = Vector512.Create(xt[2]);
            a20 = Avx512F.FusedMultiplyAdd(w0, b, a20);
            a21 = Avx512F.FusedMultiplyAdd(w1, b, a21);
            b = Vector512.Create(xt[3]);
            a30 = Avx512F.FusedMultiplyAdd(w0, b, a30);
            a31 = Avx512F.FusedMultiplyAdd(w1, b, a31);
            b = Vector512.Create(xt[4]);
            a40 = Avx512F.FusedMultiplyAdd(w0, b, a40);
            a41 = Avx512F.FusedMultiplyAdd(w1, b, a41);
            b = Vector512.Create(xt[5]);
            a50 = Avx512F.FusedMultiplyAdd(w0, b, a50);
            a51 = Avx512F.FusedMultiplyAdd(w1, b, a51);
            b = Vector512.Create(xt[6]);
            a60 = Avx512F.FusedMultiplyAdd(w0, b, a60);
            a61 = Avx512F.FusedMultiplyAdd(w1, b, a61);
            b = Vector512.Create(xt[7]);
            a70 = Avx512F.FusedMultiplyAdd(w0, b, a70);
            a71 = Avx512F.FusedMultiplyAdd(w1, b, a71);
            xt += 8;
        }
        Store512(y, 0, ldy, rows, tokens, accumulate, a00, a01);
        Store512(y, 1, ldy, rows, tokens, accumulate, a10, a11);
        Store512(y, 2, ldy, rows, tokens, accumulate, a20, a21);
        Store512(y, 3, ldy, rows, tokens, accumulate, a30, a31);
        Store512(y, 4, ldy, rows, tokens, accumulate, a40, a41);
        Store512(y, 5, ldy, rows, tokens, accumulate, a50, a51);
        Store512(y, 6, ldy, rows, tokens, accumulate, a60, a61);
        Store512(y, 7, ldy, rows, tokens, accumulate, a70, a71);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store512(float* y, int m, int ldy, int rows, int tokens, bool accumulate, Vector512<float> lo, Vector512<float> hi)
    {
        if (m >= tokens)
        {
            return;
        }
        float* row = y + (long)m * ldy;
        if (rows == 32)
        {
            if (accumulate)
            {
                lo += Vector512.Load(row);
                hi += Vector512.Load(row + 16);
            }
            lo.Store(row);
            hi.Store(row + 16);
            return;
        }
        float* tmp = stackalloc float[32];
        lo.Store(tmp);
        hi.Store(tmp + 16);
        for (int r = 0; r < rows; r++)
        {
            row[r] = accumulate ? row[r] + tmp[r] : tmp[r];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel256(float* panel, float* xt, int kLen, float* y, int ldy, int rows, int tokens, bool accumulate)
    {
        Vector256<float> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default, a30 = default, a31 = default;
        Vector256<float> a40 = default, a41 = default, a50 = default, a51 = default, a60 = default, a61 = default, a70 = default, a71 = default;
        for (int kk = 0; kk < kLen; kk++)
        {
            var w0 = Vector256.Load(panel);
            var w1 = Vector256.Load(panel + 8);
            panel += 16;
            var b = Vector256.Create(xt[0]);
            a00 = Fma256(w0, b, a00);
            a01 = Fma256(w1, b, a01);
            b = Vector256.Create(xt[1]);
            a10 = Fma256(w0, b, a10);
            a11 = Fma256(w1, b, a11);
            b = Vector256.Create(xt[2]);
            a20 = Fma256(w0, b, a20);
            a21 = Fma256(w1, b, a21);
            b = Vector256.Create(xt[3]);
            a30 = Fma256(w0, b, a30);
            a31 = Fma256(w1, b, a31);
            b = Vector256.Create(xt[4]);
            a40 = Fma256(w0, b, a40);
            a41 = Fma256(w1, b, a41);
            b = Vector256.Create(xt[5]);
            a50 = Fma256(w0, b, a50);
            a51 = Fma256(w1, b, a51);
            b = Vector256.Create(xt[6]);
            a60 = Fma256(w0, b, a60);
            a61 = Fma256(w1, b, a61);
            b = Vector256.Create(xt[7]);
            a70 = Fma256(w0, b, a70);
            a71 = Fma256(w1, b, a71);
            xt += 8;
        }
        Store256(y, 0, ldy, rows, tokens, accumulate, a00, a01);
        Store256(y, 1, ldy, rows, tokens, accumulate, a10, a11);
        Store256(y, 2, ldy, rows, tokens, accumulate, a20, a21);
        Store256(y, 3, ldy, rows, tokens, accumulate, a30, a31);
        Store256(y, 4, ldy, rows, tokens, accumulate, a40, a41);
        Store256(y, 5, ldy, rows, tokens, accumulate, a50, a51);
        Store256(y, 6, ldy, rows, tokens, accumulate, a60, a61);
        Store256(y, 7, ldy, rows, tokens, accumulate, a70, a71);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Fma256(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        Fma.IsSupported ? Fma.MultiplyAdd(a, b, c) : a * b + c;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store256(float* y, int m, int ldy, int rows, int tokens, bool accumulate, Vector256<float> lo, Vector256<float> hi)
    {
        if (m >= tokens)
        {
            return;
        }
        float* row = y + (long)m * ldy;
        float* tmp = stackalloc float[16];
        lo.Store(tmp);
        hi.Store(tmp + 8);
        for (int r = 0; r < rows; r++)
        {
            row[r] = accumulate ? row[r] + tmp[r] : tmp[r];
        }
    }
}
