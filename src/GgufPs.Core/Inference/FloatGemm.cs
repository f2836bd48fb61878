using System.Runtime.InteropServices;

namespace GgufPs.Inference;

/// <summary>
/// Y = X·Wᵀ with float weights (F32, F16, BF16, or any type decoded to floats), summed in the order of llamafile's
/// tinyBLAS, which llama.cpp's CPU backend uses for these types: each output keeps sixteen lanes over k that take
/// fused multiply-adds in k order, then one _mm512_reduce_add_ps. Matching that order keeps the rounding of the
/// next layer's activations identical to llama.cpp's. A panel of up to 64 weight rows is decoded into a buffer that stays
/// in L2 while every tile of tokens passes over it. Rows whose length is not a multiple of 16 (tinyBLAS declines
/// them) follow ggml_vec_dot_f32's order instead (<see cref="GgmlDot.VecDot(float*, float*, int, VectorWidth)"/>).
/// The kernels of each width (<see cref="FloatGemm512"/>, <see cref="FloatGemm256"/>, <see cref="FloatGemm128"/>)
/// give the same bits.
/// </summary>
internal static unsafe class FloatGemm
{
    private const int MaxPanelRows = 64;

    /// <summary>
    /// A panel's bytes at most, so that it and a tile of tokens stay in a core's L2 (2 MB on current Xeons, 1 MB on
    /// many desktop cores keeps most of it) while the tiles pass over it: at k = 11008 a 64-row panel is 2.8 MB and
    /// each tile of tokens would stream it from L3 again.
    /// </summary>
    private const int PanelBytes = 1280 * 1024;

    /// <summary>y[t·ldy + n] = Σₖ x[t·K + k]·W[n, k] for t &lt; tokens and n &lt; W.Rows; x is already rounded for W's type.</summary>
    public static void Multiply(WeightMatrix w, float* x, int tokens, float* y, int ldy, int threads) =>
        Multiply(w, x, tokens, y, ldy, threads, KernelSupport.FloatWidth);

    /// <summary>The same with the kernels of one width (tests compare them).</summary>
    internal static void Multiply(WeightMatrix w, float* x, int tokens, float* y, int ldy, int threads, VectorWidth width)
    {
        // Any number of rows gives the same bits: each output is one row's dot product over the whole of k.
        int panelRows = Math.Clamp(PanelBytes / (w.Columns * sizeof(float)) / 4 * 4, 4, MaxPanelRows);
        int panels = (w.Rows + panelRows - 1) / panelRows;
        int workers = Math.Max(1, Math.Min(threads, panels));
        // Each worker takes the next panel as it finishes one (a thread delayed by other work does not hold the
        // product up); every output is still one thread's.
        int next = -1;
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, _ =>
        {
            int k = w.Columns;
            float* panel = (float*)NativeMemory.AlignedAlloc((nuint)((long)panelRows * k * sizeof(float)), 64);
            try
            {
                for (int p = Interlocked.Increment(ref next); p < panels; p = Interlocked.Increment(ref next))
                {
                    int n0 = p * panelRows;
                    int rows = Math.Min(panelRows, w.Rows - n0);
                    for (int r = 0; r < rows; r++)
                    {
                        w.DecodeRow(n0 + r, 0, new Span<float>(panel + (long)r * k, k));
                    }
                    MultiplyPanel(width, panel, rows, k, x, tokens, y + n0, ldy);
                }
            }
            finally
            {
                NativeMemory.AlignedFree(panel);
            }
        });
    }

    /// <summary>y[t·ldy + r] = Σₖ x[t·k + k']·panel[r·k + k'] for a panel of decoded rows.</summary>
    internal static void MultiplyPanel(VectorWidth width, float* panel, int rows, int k, float* x, int tokens, float* y, int ldy)
    {
        if (k % 16 != 0)
        {
            for (int t = 0; t < tokens; t++)
            {
                for (int r = 0; r < rows; r++)
                {
                    y[(long)t * ldy + r] = GgmlDot.VecDot(panel + (long)r * k, x + (long)t * k, k, width);
                }
            }
            return;
        }
        switch (width)
        {
            case VectorWidth.Vector512:
                FloatGemm512.MultiplyPanel(panel, rows, k, x, tokens, y, ldy);
                break;
            case VectorWidth.Vector256:
                FloatGemm256.MultiplyPanel(panel, rows, k, x, tokens, y, ldy);
                break;
            default:
                FloatGemm128.MultiplyPanel(panel, rows, k, x, tokens, y, ldy);
                break;
        }
    }
}
