using System.Runtime.CompilerServices;

namespace GgufPs.Inference;

/// <summary>
/// Y = X·Wᵀ for quantized weights with integer dot products, as ggml computes them: the activations are quantized to
/// Q8_K or Q8_0 exactly as ggml-cpu does, each weight panel of 16 rows is unpacked to bytes (<see cref="QuantizedPanel"/>),
/// and a kernel multiplies 4 bytes of each row by 4 bytes of a token per lane: AVX-VNNI's vpdpbusd, or pmaddubsw
/// and pmaddwd (AVX-512BW, AVX2, SSSE3), or SDOT on ARM64 (<see cref="Int8Kernel"/>). Each group's integer sum then
/// takes its scales in float, in the same order on every kernel, so all give the same bits. A tile is 16 rows ×
/// 4 tokens (6 for the K-quants with AVX-VNNI).
/// </summary>
internal static unsafe class Int8Gemm
{
    private const int MaxTokenTile = 6;

    public static bool Handles(GgmlType type) => KernelSupport.Int8 != Int8Kernel.None && Int8Format.For(type) is not null;

    /// <summary>y[t·ldy + n] = Σₖ x[t·K + k]·W[n, k]; x is the float activations, quantized here.</summary>
    public static void Multiply(WeightMatrix w, float* x, int tokens, float* y, int ldy, int threads) =>
        Multiply(w, x, tokens, y, ldy, threads, KernelSupport.Int8);

    /// <summary>The same with one kernel (tests compare them).</summary>
    internal static void Multiply(WeightMatrix w, float* x, int tokens, float* y, int ldy, int threads, Int8Kernel kernel)
    {
        using var activations = Quantize(w, x, tokens, threads, kernel);
        Multiply(w, activations, y, ldy, threads, kernel);
    }

    /// <summary>
    /// x quantized as W's type needs it, for <see cref="Multiply(WeightMatrix, QuantizedActivations, float*, int, int)"/>:
    /// products of the same input by weights whose <see cref="Shares"/> holds (Q, K and V; gate and up) quantize it once.
    /// </summary>
    public static QuantizedActivations Quantize(WeightMatrix w, float* x, int tokens, int threads) =>
        Quantize(w, x, tokens, threads, KernelSupport.Int8);

    /// <summary>The same for one kernel, whose token tile sets the padding.</summary>
    internal static QuantizedActivations Quantize(WeightMatrix w, float* x, int tokens, int threads, Int8Kernel kernel)
    {
        var format = FormatOf(w, kernel);
        return new QuantizedActivations(x, tokens, PaddedTokens(kernel, format, tokens), w.Columns, format.KQuant, format.GroupSize, threads);
    }

    /// <summary>
    /// Whether <paramref name="a"/> is exactly what <see cref="Quantize(WeightMatrix, float*, int, int)"/> would give
    /// for W and as many tokens: the same block format (Q8_0 or Q8_K), group sums, width and padding.
    /// </summary>
    public static bool Shares(QuantizedActivations a, WeightMatrix w) => Shares(a, w, KernelSupport.Int8);

    /// <summary>The same for one kernel.</summary>
    internal static bool Shares(QuantizedActivations a, WeightMatrix w, Int8Kernel kernel) =>
        Int8Format.For(w.Type) is { } format && a.KQuant == format.KQuant && a.GroupSize == format.GroupSize
        && a.Columns == w.Columns && a.Tokens == PaddedTokens(kernel, format, a.QuantizedTokens);

    /// <summary>y[t·ldy + n] = Σₖ x[t·K + k]·W[n, k] for x already quantized (<see cref="Quantize(WeightMatrix, float*, int, int)"/>).</summary>
    public static void Multiply(WeightMatrix w, QuantizedActivations activations, float* y, int ldy, int threads) =>
        Multiply(w, activations, y, ldy, threads, KernelSupport.Int8);

    /// <summary>The same with one kernel (tests compare them).</summary>
    internal static void Multiply(WeightMatrix w, QuantizedActivations activations, float* y, int ldy, int threads, Int8Kernel kernel)
    {
        var format = FormatOf(w, kernel);
        if (!Shares(activations, w, kernel))
        {
            throw new ArgumentException($"The activations were quantized for another format than {w.Type} needs.", nameof(activations));
        }
        int k = w.Columns;
        int tokens = activations.QuantizedTokens;
        int padded = activations.Tokens;
        int tokenTile = TokenTile(kernel, format);
        int panels = (w.Rows + QuantizedPanel.Rows - 1) / QuantizedPanel.Rows;
        int workers = Math.Max(1, Math.Min(threads, panels));
        // Each worker takes the next panel as it finishes one, so a thread delayed by other work on the machine
        // leaves the rest to the others instead of holding the product up; every output is still one thread's.
        int next = -1;
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (_) =>
        {
            using var panel = new QuantizedPanel(k, format);
            float* tile = stackalloc float[QuantizedPanel.Rows * MaxTokenTile];
            for (int p = Interlocked.Increment(ref next); p < panels; p = Interlocked.Increment(ref next))
            {
                int n0 = p * QuantizedPanel.Rows;
                int rows = Math.Min(QuantizedPanel.Rows, w.Rows - n0);
                panel.Load(w, n0, rows);
                for (int t0 = 0; t0 < padded; t0 += tokenTile)
                {
                    Tile(kernel, panel, activations, t0, tile);
                    int count = Math.Min(tokenTile, tokens - t0);
                    for (int t = 0; t < count; t++)
                    {
                        new ReadOnlySpan<float>(tile + t * QuantizedPanel.Rows, rows).CopyTo(new Span<float>(y + (long)(t0 + t) * ldy + n0, rows));
                    }
                }
            }
        });
    }

    private static Int8Format FormatOf(WeightMatrix w, Int8Kernel kernel)
    {
        if (kernel == Int8Kernel.None || !KernelSupport.Supports(kernel))
        {
            throw new PlatformNotSupportedException($"This CPU has no {kernel} instructions.");
        }
        return Int8Format.For(w.Type) ?? throw new NotSupportedException($"{w.Type} has no integer kernel.");
    }

    private static int TokenTile(Int8Kernel kernel, Int8Format format) =>
        kernel == Int8Kernel.AvxVnni && format.KQuant ? Int8GemmAvxVnni.TokenTile : 4;

    private static int PaddedTokens(Int8Kernel kernel, Int8Format format, int tokens)
    {
        int tile = TokenTile(kernel, format);
        return (tokens + tile - 1) / tile * tile;
    }

    /// <summary>tile[t·16 + r] for the panel's 16 rows and the tokens of a tile from t0.</summary>
    private static void Tile(Int8Kernel kernel, QuantizedPanel panel, QuantizedActivations a, int t0, float* tile)
    {
        bool kQuant = panel.Format.KQuant;
        switch (kernel)
        {
            case Int8Kernel.AvxVnni:
                if (kQuant) Int8GemmAvxVnni.KQuantTile(panel, a, t0, tile); else Int8GemmAvxVnni.BlockTile(panel, a, t0, tile);
                break;
            case Int8Kernel.Avx512BW:
                if (kQuant) Int8GemmAvx512.KQuantTile(panel, a, t0, tile); else Int8GemmAvx512.BlockTile(panel, a, t0, tile);
                break;
            case Int8Kernel.Avx2:
                if (kQuant) Int8GemmAvx2.KQuantTile(panel, a, t0, tile); else Int8GemmAvx2.BlockTile(panel, a, t0, tile);
                break;
            default:
                if (kQuant) Int8GemmVector128.KQuantTile(panel, a, t0, tile); else Int8GemmVector128.BlockTile(panel, a, t0, tile);
                break;
        }
    }
}
