using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GgufPs.Inference;

/// <summary>
/// <see cref="Int8Gemm"/>'s tiles with AVX-VNNI: vpdpbusd multiplies 4 bytes of 8 rows by 4 bytes of a token and adds
/// the int32 sums, two instructions a cycle. This is the definition the other kernels reproduce bit for bit.
/// </summary>
internal static unsafe class Int8GemmAvxVnni
{
    /// <summary>The tokens of a K-quant tile; a tile of the blocks of 32 has four.</summary>
    public const int TokenTile = 6;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Dot(Vector256<int> acc, Vector256<byte> w, Vector256<sbyte> a) => AvxVnni.MultiplyWideningAndAdd(acc, w, a);

    /// <summary>
    /// A 16×6 tile of a K-quant matrix: each group's integer dot takes its float scale d·s, the groups of a 256-wide
    /// block add up, the block takes the activation scale d_a; the minimums (dmin·m) times the activation group sums
    /// come off at the end. Six tokens share each load of the weights, and twelve independent
    /// integer accumulators keep vpdpbusd's two a cycle going through its latency of five.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void KQuantTile(QuantizedPanel panel, QuantizedActivations a, int t0, float* tile)
    {
        var f = panel.Format;
        int k = panel.Columns;
        int g = f.GroupSize;
        int groupsPerBlock = 256 / g;
        int stepsPerGroup = g / 4;
        int blocks = k / 256;
        sbyte* x0 = a.Values + (long)t0 * k, x1 = x0 + k, x2 = x1 + k, x3 = x2 + k, x4 = x3 + k, x5 = x4 + k;
        int bpt = a.BlocksPerToken;
        float* d0 = a.Scales + (long)t0 * bpt;
        byte* w = panel.Weights;
        float* gs = panel.GroupScaleFloats;
        int bias = f.Bias;
        int gpt = a.GroupsPerToken;
        int* sums = a.Sums + (long)t0 * gpt;
        new Span<float>(tile, QuantizedPanel.Rows * TokenTile).Clear();
        int step = 0;
        for (int b = 0; b < blocks; b++)
        {
            Vector256<float> f00 = default, f01 = default, f10 = default, f11 = default, f20 = default, f21 = default;
            Vector256<float> f30 = default, f31 = default, f40 = default, f41 = default, f50 = default, f51 = default;
            for (int gi = 0; gi < groupsPerBlock; gi++)
            {
                // The accumulators start at −bias·Σa (Q6_K, Q3_K, IQ4_XS), so each group's sum is Σ(u − bias)·a.
                int group = b * groupsPerBlock + gi;
                var c00 = Vector256.Create(-bias * sums[group]);
                var c10 = Vector256.Create(-bias * sums[gpt + group]);
                var c20 = Vector256.Create(-bias * sums[2 * gpt + group]);
                var c30 = Vector256.Create(-bias * sums[3 * gpt + group]);
                var c40 = Vector256.Create(-bias * sums[4 * gpt + group]);
                var c50 = Vector256.Create(-bias * sums[5 * gpt + group]);
                Vector256<int> c01 = c00, c11 = c10, c21 = c20, c31 = c30, c41 = c40, c51 = c50;
                byte* wp = w + (long)step * 64;
                long o = (long)step * 4;
                for (int s = 0; s < stepsPerGroup; s++, wp += 64, o += 4)
                {
                    var w0 = Vector256.Load(wp);
                    var w1 = Vector256.Load(wp + 32);
                    var a0 = Int8GemmAvx2.Broadcast(x0 + o);
                    c00 = Dot(c00, w0, a0);
                    c01 = Dot(c01, w1, a0);
                    a0 = Int8GemmAvx2.Broadcast(x1 + o);
                    c10 = Dot(c10, w0, a0);
                    c11 = Dot(c11, w1, a0);
                    a0 = Int8GemmAvx2.Broadcast(x2 + o);
                    c20 = Dot(c20, w0, a0);
                    c21 = Dot(c21, w1, a0);
                    a0 = Int8GemmAvx2.Broadcast(x3 + o);
                    c30 = Dot(c30, w0, a0);
                    c31 = Dot(c31, w1, a0);
                    a0 = Int8GemmAvx2.Broadcast(x4 + o);
                    c40 = Dot(c40, w0, a0);
                    c41 = Dot(c41, w1, a0);
                    a0 = Int8GemmAvx2.Broadcast(x5 + o);
                    c50 = Dot(c50, w0, a0);
                    c51 = Dot(c51, w1, a0);
                }
                step += stepsPerGroup;
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
                f40 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(c40), sc0, f40);
                f41 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(c41), sc1, f41);
                f50 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(c50), sc0, f50);
                f51 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(c51), sc1, f51);
            }
            Int8GemmAvx2.AddScaled(tile, f00, f01, d0[b]);
            Int8GemmAvx2.AddScaled(tile + 16, f10, f11, d0[bpt + b]);
            Int8GemmAvx2.AddScaled(tile + 32, f20, f21, d0[2 * bpt + b]);
            Int8GemmAvx2.AddScaled(tile + 48, f30, f31, d0[3 * bpt + b]);
            Int8GemmAvx2.AddScaled(tile + 64, f40, f41, d0[4 * bpt + b]);
            Int8GemmAvx2.AddScaled(tile + 80, f50, f51, d0[5 * bpt + b]);
        }
        if (f.SeparateMinimum)
        {
            Int8GemmAvx2.SubtractOffsets(panel, a, t0, tile);
            Int8GemmAvx2.SubtractOffsets(panel, a, t0 + 4, tile + 64, 2);
        }
    }

    /// <summary>
    /// A 16×4 tile of a Q4_0/Q5_0/Q8_0/IQ4_NL (and Q4_1/Q5_1) matrix: per block of 32, d_w·d_a·(dot − bias·sum) in
    /// float, plus m_w·s_a for the types with a minimum. The integer accumulators start at −bias·sum.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BlockTile(QuantizedPanel panel, QuantizedActivations a, int t0, float* tile)
    {
        int k = panel.Columns;
        int blocks = k / 32;
        int bias = panel.Format.Bias;
        int gpt = a.GroupsPerToken;
        int bpt = a.BlocksPerToken;
        sbyte* x0 = a.Values + (long)t0 * k, x1 = x0 + k, x2 = x1 + k, x3 = x2 + k;
        int* s = a.Sums + (long)t0 * gpt;
        float* d = a.Scales + (long)t0 * bpt;
        float* m = a.BlockSums + (long)t0 * bpt;
        bool minimum = panel.Format.SeparateMinimum;
        byte* w = panel.Weights;
        Vector256<float> o00 = default, o01 = default, o10 = default, o11 = default;
        Vector256<float> o20 = default, o21 = default, o30 = default, o31 = default;
        for (int b = 0; b < blocks; b++)
        {
            var c00 = Vector256.Create(-bias * s[b]);
            var c10 = Vector256.Create(-bias * s[gpt + b]);
            var c20 = Vector256.Create(-bias * s[2 * gpt + b]);
            var c30 = Vector256.Create(-bias * s[3 * gpt + b]);
            Vector256<int> c01 = c00, c11 = c10, c21 = c20, c31 = c30;
            byte* wp = w + (long)b * 512;
            long p = (long)b * 32;
            for (int j = 0; j < 8; j++, wp += 64, p += 4)
            {
                var w0 = Vector256.Load(wp);
                var w1 = Vector256.Load(wp + 32);
                var a0 = Int8GemmAvx2.Broadcast(x0 + p);
                c00 = Dot(c00, w0, a0);
                c01 = Dot(c01, w1, a0);
                a0 = Int8GemmAvx2.Broadcast(x1 + p);
                c10 = Dot(c10, w0, a0);
                c11 = Dot(c11, w1, a0);
                a0 = Int8GemmAvx2.Broadcast(x2 + p);
                c20 = Dot(c20, w0, a0);
                c21 = Dot(c21, w1, a0);
                a0 = Int8GemmAvx2.Broadcast(x3 + p);
                c30 = Dot(c30, w0, a0);
                c31 = Dot(c31, w1, a0);
            }
            var ws0 = Vector256.Load(panel.Scales + b * 16);
            var ws1 = Vector256.Load(panel.Scales + b * 16 + 8);
            var da = Vector256.Create(d[b]);
            o00 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(c00), ws0 * da, o00);
            o01 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(c01), ws1 * da, o01);
            da = Vector256.Create(d[bpt + b]);
            o10 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(c10), ws0 * da, o10);
            o11 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(c11), ws1 * da, o11);
            da = Vector256.Create(d[2 * bpt + b]);
            o20 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(c20), ws0 * da, o20);
            o21 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(c21), ws1 * da, o21);
            da = Vector256.Create(d[3 * bpt + b]);
            o30 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(c30), ws0 * da, o30);
            o31 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(c31), ws1 * da, o31);
            if (minimum)
            {
                // Q4_1, Q5_1: m_w times the activation block's F16 sum, as vec_dot_q4_1_q8_1.
                var mn0 = Vector256.Load(panel.MinScales + b * 16);
                var mn1 = Vector256.Load(panel.MinScales + b * 16 + 8);
                var ms = Vector256.Create(m[b]);
                o00 = Fma.MultiplyAdd(mn0, ms, o00);
                o01 = Fma.MultiplyAdd(mn1, ms, o01);
                ms = Vector256.Create(m[bpt + b]);
                o10 = Fma.MultiplyAdd(mn0, ms, o10);
                o11 = Fma.MultiplyAdd(mn1, ms, o11);
                ms = Vector256.Create(m[2 * bpt + b]);
                o20 = Fma.MultiplyAdd(mn0, ms, o20);
                o21 = Fma.MultiplyAdd(mn1, ms, o21);
                ms = Vector256.Create(m[3 * bpt + b]);
                o30 = Fma.MultiplyAdd(mn0, ms, o30);
                o31 = Fma.MultiplyAdd(mn1, ms, o31);
            }
        }
        o00.Store(tile);
        o01.Store(tile + 8);
        o10.Store(tile + 16);
        o11.Store(tile + 24);
        o20.Store(tile + 32);
        o21.Store(tile + 40);
        o30.Store(tile + 48);
        o31.Store(tile + 56);
    }
}
