using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GgufPs.Inference;

/// <summary>
/// Y = X·Wᵀ for quantized weights with integer dot products, as ggml computes them: the activations are quantized to
/// Q8_K or Q8_0 exactly as ggml-cpu does, each weight panel of 16 rows is unpacked to bytes (<see cref="QuantizedPanel"/>),
/// and AVX-VNNI's vpdpbusd multiplies 4 bytes of 8 rows by 4 bytes of a token per instruction. Each group's integer
/// sum then takes its scales in float. A tile is 16 rows × 2 tokens.
/// </summary>
internal static unsafe class Int8Gemm
{
    private const int TokenTile = 4;

    public static bool Handles(GgmlType type) => AvxVnni.IsSupported && Avx2.IsSupported && Int8Format.For(type) is not null;

    /// <summary>y[t·ldy + n] = Σₖ x[t·K + k]·W[n, k]; x is the float activations, quantized here.</summary>
    public static void Multiply(WeightMatrix w, float* x, int tokens, float* y, int ldy, int threads)
    {
        var format = Int8Format.For(w.Type)!;
        int k = w.Columns;
        int padded = (tokens + TokenTile - 1) / TokenTile * TokenTile;
        using var activations = new QuantizedActivations(x, tokens, padded, k, format.KQuant, format.GroupSize, threads);
        int panels = (w.Rows + QuantizedPanel.Rows - 1) / QuantizedPanel.Rows;
        int workers = Math.Max(1, Math.Min(threads, panels));
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (worker) =>
        {
            using var panel = new QuantizedPanel(k, format);
            float* tile = stackalloc float[QuantizedPanel.Rows * TokenTile];
            int first = (int)((long)panels * worker / workers);
            int last = (int)((long)panels * (worker + 1) / workers);
            for (int p = first; p < last; p++)
            {
                int n0 = p * QuantizedPanel.Rows;
                int rows = Math.Min(QuantizedPanel.Rows, w.Rows - n0);
                panel.Load(w, n0, rows);
                for (int t0 = 0; t0 < padded; t0 += TokenTile)
                {
                    if (format.KQuant)
                    {
                        KQuantTile(panel, activations, t0, tile);
                    }
                    else
                    {
                        BlockTile(panel, activations, t0, tile);
                        BlockTile(panel, activations, t0 + 2, tile + 2 * QuantizedPanel.Rows);
                    }
                    int count = Math.Min(TokenTile, tokens - t0);
                    for (int t = 0; t < count; t++)
                    {
                        float* row = y + (long)(t0 + t) * ldy + n0;
                        for (int r = 0; r < rows; r++)
                        {
                            row[r] = tile[t * QuantizedPanel.Rows + r];
                        }
                    }
                }
            }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Dot(Vector256<int> acc, Vector256<byte> w, Vector256<sbyte> a) => AvxVnni.MultiplyWideningAndAdd(acc, w, a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<sbyte> Broadcast(sbyte* p) => Vector256.Create(*(int*)p).AsSByte();

    /// <summary>
    /// A 16×4 tile of a K-quant matrix: each group's integer dot takes its float scale d·s, the groups of a 256-wide
    /// block add up, the block takes the activation scale d_a; the offsets (dmin·m, or d·o for Q6_K and Q3_K) times
    /// the activation group sums come off at the end. Four tokens share each load of the weights, and the eight
    /// integer accumulators stay in the registers vpdpbusd can write.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void KQuantTile(QuantizedPanel panel, QuantizedActivations a, int t0, float* tile)
    {
        var f = panel.Format;
        int k = panel.Columns;
        int g = f.GroupSize;
        int groupsPerBlock = 256 / g;
        int stepsPerGroup = g / 4;
        int blocks = k / 256;
        sbyte* x0 = a.Values + (long)t0 * k, x1 = x0 + k, x2 = x1 + k, x3 = x2 + k;
        int bpt = a.BlocksPerToken;
        float* d0 = a.Scales + (long)t0 * bpt;
        byte* w = panel.Weights;
        float* gs = panel.GroupScaleFloats;
        new Span<float>(tile, QuantizedPanel.Rows * TokenTile).Clear();
        int step = 0;
        for (int b = 0; b < blocks; b++)
        {
            Vector256<float> f00 = default, f01 = default, f10 = default, f11 = default;
            Vector256<float> f20 = default, f21 = default, f30 = default, f31 = default;
            for (int gi = 0; gi < groupsPerBlock; gi++)
            {
                Vector256<int> c00 = default, c01 = default, c10 = default, c11 = default;
                Vector256<int> c20 = default, c21 = default, c30 = default, c31 = default;
                byte* wp = w + step * 64;
                long o = step * 4;
                for (int s = 0; s < stepsPerGroup; s += 2, wp += 128, o += 8)
                {
                    var w0 = Vector256.Load(wp);
                    var w1 = Vector256.Load(wp + 32);
                    var a0 = Broadcast(x0 + o);
                    c00 = Dot(c00, w0, a0);
                    c01 = Dot(c01, w1, a0);
                    a0 = Broadcast(x1 + o);
                    c10 = Dot(c10, w0, a0);
                    c11 = Dot(c11, w1, a0);
                    a0 = Broadcast(x2 + o);
                    c20 = Dot(c20, w0, a0);
                    c21 = Dot(c21, w1, a0);
                    a0 = Broadcast(x3 + o);
                    c30 = Dot(c30, w0, a0);
                    c31 = Dot(c31, w1, a0);
                    w0 = Vector256.Load(wp + 64);
                    w1 = Vector256.Load(wp + 96);
                    a0 = Broadcast(x0 + o + 4);
                    c00 = Dot(c00, w0, a0);
                    c01 = Dot(c01, w1, a0);
                    a0 = Broadcast(x1 + o + 4);
                    c10 = Dot(c10, w0, a0);
                    c11 = Dot(c11, w1, a0);
                    a0 = Broadcast(x2 + o + 4);
                    c20 = Dot(c20, w0, a0);
                    c21 = Dot(c21, w1, a0);
                    a0 = Broadcast(x3 + o + 4);
                    c30 = Dot(c30, w0, a0);
                    c31 = Dot(c31, w1, a0);
                }
                step += stepsPerGroup;
                int group = b * groupsPerBlock + gi;
                var sc0 = Vector256.Load(gs + group * 16);
                var sc1 = Vector256.Load(gs + group * 16 + 8);
                f00 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(c00), sc0, f00);
                f01 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(c01), sc1, f01);
                f10 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(c10), sc0, f10);
                f11 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(c11), sc1, f11);
                f20 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(c20), sc0, f20);
                f21 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(c21), sc1, f21);
                f30 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(c30), sc0, f30);
                f31 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(c31), sc1, f31);
            }
            // The block's sums take the activation scale into the tile, which stays in L1 between blocks.
            AddScaled(tile, f00, f01, d0[b]);
            AddScaled(tile + 16, f10, f11, d0[bpt + b]);
            AddScaled(tile + 32, f20, f21, d0[2 * bpt + b]);
            AddScaled(tile + 48, f30, f31, d0[3 * bpt + b]);
        }
        // Σ over groups of offset·d_a·sum, subtracted.
        int groups = k / g;
        int gpt = a.GroupsPerToken;
        float* go = panel.GroupOffsetFloats;
        for (int t = 0; t < TokenTile; t++)
        {
            int* sums = a.Sums + (long)(t0 + t) * gpt;
            float* d = d0 + t * bpt;
            float* row = tile + t * 16;
            var r0 = Vector256.Load(row);
            var r1 = Vector256.Load(row + 8);
            for (int group = 0; group < groups; group++)
            {
                var q = Vector256.Create(d[group / groupsPerBlock] * sums[group]);
                r0 = Fma.MultiplyAddNegated(Vector256.Load(go + group * 16), q, r0);
                r1 = Fma.MultiplyAddNegated(Vector256.Load(go + group * 16 + 8), q, r1);
            }
            r0.Store(row);
            r1.Store(row + 8);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddScaled(float* row, Vector256<float> low, Vector256<float> high, float scale)
    {
        var s = Vector256.Create(scale);
        Fma.MultiplyAdd(low, s, Vector256.Load(row)).Store(row);
        Fma.MultiplyAdd(high, s, Vector256.Load(row + 8)).Store(row + 8);
    }

    /// <summary>
    /// A 16×2 tile of a Q4_0/Q5_0/Q8_0/IQ4_NL (and Q4_1/Q5_1) matrix: per block of 32, d_w·d_a·(dot − bias·sum) in
    /// float, plus m_w·s_a for the types with a minimum.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BlockTile(QuantizedPanel panel, QuantizedActivations a, int t0, float* tile)
    {
        int k = panel.Columns;
        int blocks = k / 32;
        int bias = panel.Format.Bias;
        sbyte* x0 = a.Values + (long)t0 * k, x1 = x0 + k;
        int* s0 = a.Sums + (long)t0 * a.GroupsPerToken, s1 = s0 + a.GroupsPerToken;
        float* d0 = a.Scales + (long)t0 * a.BlocksPerToken, d1 = d0 + a.BlocksPerToken;
        float* m0 = a.BlockSums + (long)t0 * a.BlocksPerToken, m1 = m0 + a.BlocksPerToken;
        bool minimum = panel.Format.SeparateMinimum;
        byte* w = panel.Weights;
        Vector256<float> o00 = default, o01 = default, o10 = default, o11 = default;
        for (int b = 0; b < blocks; b++)
        {
            Vector256<int> c00 = default, c01 = default, c10 = default, c11 = default;
            Vector256<int> e00 = default, e01 = default, e10 = default, e11 = default;
            byte* wp = w + b * 512;
            sbyte* p0 = x0 + b * 32, p1 = x1 + b * 32;
            for (int s = 0; s < 8; s += 2, wp += 128, p0 += 8, p1 += 8)
            {
                var w0 = Vector256.Load(wp);
                var w1 = Vector256.Load(wp + 32);
                var v0 = Vector256.Load(wp + 64);
                var v1 = Vector256.Load(wp + 96);
                var a0 = Broadcast(p0);
                c00 = Dot(c00, w0, a0);
                c01 = Dot(c01, w1, a0);
                a0 = Broadcast(p0 + 4);
                e00 = Dot(e00, v0, a0);
                e01 = Dot(e01, v1, a0);
                var a1 = Broadcast(p1);
                c10 = Dot(c10, w0, a1);
                c11 = Dot(c11, w1, a1);
                a1 = Broadcast(p1 + 4);
                e10 = Dot(e10, v0, a1);
                e11 = Dot(e11, v1, a1);
            }
            c00 += e00;
            c01 += e01;
            c10 += e10;
            c11 += e11;
            var ws0 = Vector256.Load(panel.Scales + b * 16);
            var ws1 = Vector256.Load(panel.Scales + b * 16 + 8);
            var b0 = Vector256.Create(bias * s0[b]);
            var b1 = Vector256.Create(bias * s1[b]);
            o00 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(c00 - b0), ws0 * d0[b], o00);
            o01 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(c01 - b0), ws1 * d0[b], o01);
            o10 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(c10 - b1), ws0 * d1[b], o10);
            o11 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(c11 - b1), ws1 * d1[b], o11);
            if (minimum)
            {
                // Q4_1, Q5_1: m_w times the activation block's F16 sum, as vec_dot_q4_1_q8_1.
                var mn0 = Vector256.Load(panel.MinScales + b * 16);
                var mn1 = Vector256.Load(panel.MinScales + b * 16 + 8);
                o00 = Fma.MultiplyAdd(mn0, Vector256.Create(m0[b]), o00);
                o01 = Fma.MultiplyAdd(mn1, Vector256.Create(m0[b]), o01);
                o10 = Fma.MultiplyAdd(mn0, Vector256.Create(m1[b]), o10);
                o11 = Fma.MultiplyAdd(mn1, Vector256.Create(m1[b]), o11);
            }
        }
        o00.Store(tile);
        o01.Store(tile + 8);
        o10.Store(tile + 16);
        o11.Store(tile + 24);
    }
}
