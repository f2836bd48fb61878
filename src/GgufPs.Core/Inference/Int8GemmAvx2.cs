using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GgufPs.Inference;

/// <summary>
/// <see cref="Int8Gemm"/>'s tiles with AVX2, as llama.cpp's avx2 build multiplies bytes: vpmaddubsw makes int16 sums
/// of two byte products, vpmaddwd against ones widens pairs of them to int32. The small unsigned weights (at most 63)
/// keep their int16 sums for as many steps as cannot overflow (<see cref="Int8Format.Int16Steps"/>); the byte weights
/// of Q8_0, IQ4_NL and IQ4_XS, which would saturate, go signed with llama.cpp's sign trick (|w| times a with w's sign)
/// and take 128 times the activation sum back. The integers are vpdpbusd's, and the float steps those of
/// <see cref="Int8GemmAvxVnni"/>. Sixteen registers hold a 16-row × 2-token tile.
/// </summary>
internal static unsafe class Int8GemmAvx2
{
    /// <summary>tile[t·16 + r] for a K-quant panel and tokens t0..t0+3.</summary>
    public static void KQuantTile(QuantizedPanel panel, QuantizedActivations a, int t0, float* tile)
    {
        KQuantPair(panel, a, t0, tile);
        KQuantPair(panel, a, t0 + 2, tile + 2 * QuantizedPanel.Rows);
        if (panel.Format.SeparateMinimum)
        {
            SubtractOffsets(panel, a, t0, tile);
        }
    }

    /// <summary>tile[t·16 + r] for a Q4_0/Q5_0/Q8_0/IQ4_NL/Q4_1/Q5_1 panel and tokens t0..t0+3.</summary>
    public static void BlockTile(QuantizedPanel panel, QuantizedActivations a, int t0, float* tile)
    {
        BlockPair(panel, a, t0, tile);
        BlockPair(panel, a, t0 + 2, tile + 2 * QuantizedPanel.Rows);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void KQuantPair(QuantizedPanel panel, QuantizedActivations a, int t0, float* tile)
    {
        var f = panel.Format;
        int k = panel.Columns;
        int groupsPerBlock = 256 / f.GroupSize;
        int stepsPerGroup = f.GroupSize / 4;
        int chain = Math.Min(f.Int16Steps, stepsPerGroup);
        bool byteWeights = f.ByteWeights;
        int correction = (byteWeights ? 128 : 0) - f.Bias;
        int blocks = k / 256;
        sbyte* x0 = a.Values + (long)t0 * k, x1 = x0 + k;
        int bpt = a.BlocksPerToken;
        float* d0 = a.Scales + (long)t0 * bpt;
        int* sums0 = a.Sums + (long)t0 * a.GroupsPerToken, sums1 = sums0 + a.GroupsPerToken;
        byte* w = panel.Weights;
        float* gs = panel.GroupScaleFloats;
        new Span<float>(tile, 2 * QuantizedPanel.Rows).Clear();
        int step = 0;
        for (int b = 0; b < blocks; b++)
        {
            Vector256<float> f00 = default, f01 = default, f10 = default, f11 = default;
            for (int gi = 0; gi < groupsPerBlock; gi++, step += stepsPerGroup)
            {
                int group = b * groupsPerBlock + gi;
                GroupDots(w + (long)step * 64, x0 + (long)step * 4, x1 + (long)step * 4, stepsPerGroup, chain, byteWeights,
                    out var c00, out var c01, out var c10, out var c11);
                // Σ(u − bias)·a: byte weights were multiplied as u − 128.
                if (correction != 0)
                {
                    var u0 = Vector256.Create(correction * sums0[group]);
                    var u1 = Vector256.Create(correction * sums1[group]);
                    c00 += u0;
                    c01 += u0;
                    c10 += u1;
                    c11 += u1;
                }
                var sc0 = Vector256.Load(gs + group * 16);
                var sc1 = Vector256.Load(gs + group * 16 + 8);
                f00 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(c00), sc0, f00);
                f01 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(c01), sc1, f01);
                f10 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(c10), sc0, f10);
                f11 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(c11), sc1, f11);
            }
            AddScaled(tile, f00, f01, d0[b]);
            AddScaled(tile + 16, f10, f11, d0[bpt + b]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BlockPair(QuantizedPanel panel, QuantizedActivations a, int t0, float* tile)
    {
        var f = panel.Format;
        int k = panel.Columns;
        int blocks = k / 32;
        int chain = Math.Min(f.Int16Steps, 8);
        bool byteWeights = f.ByteWeights;
        // Signed byte weights give Σ(u − 128)·a; the bias then shrinks by the same 128.
        int bias = byteWeights ? f.Bias - 128 : f.Bias;
        sbyte* x0 = a.Values + (long)t0 * k, x1 = x0 + k;
        int* s0 = a.Sums + (long)t0 * a.GroupsPerToken, s1 = s0 + a.GroupsPerToken;
        float* d0 = a.Scales + (long)t0 * a.BlocksPerToken, d1 = d0 + a.BlocksPerToken;
        float* m0 = a.BlockSums + (long)t0 * a.BlocksPerToken, m1 = m0 + a.BlocksPerToken;
        bool minimum = f.SeparateMinimum;
        byte* w = panel.Weights;
        Vector256<float> o00 = default, o01 = default, o10 = default, o11 = default;
        for (int b = 0; b < blocks; b++)
        {
            GroupDots(w + (long)b * 512, x0 + b * 32, x1 + b * 32, 8, chain, byteWeights, out var c00, out var c01, out var c10, out var c11);
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

    /// <summary>
    /// The int32 dot products of 16 rows (c·0: rows 0–7, c·1: rows 8–15) with two tokens over <paramref name="steps"/>
    /// steps of 4 columns: Σ u·a with u the panel's unsigned weights.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GroupDots(byte* wp, sbyte* x0, sbyte* x1, int steps, int chain, bool byteWeights,
        out Vector256<int> c00, out Vector256<int> c01, out Vector256<int> c10, out Vector256<int> c11)
    {
        var ones = Vector256.Create((short)1);
        c00 = default;
        c01 = default;
        c10 = default;
        c11 = default;
        if (byteWeights)
        {
            var flip = Vector256.Create((byte)0x80);
            for (int s = 0; s < steps; s++, wp += 64, x0 += 4, x1 += 4)
            {
                var w0 = (Vector256.Load(wp) ^ flip).AsSByte();
                var w1 = (Vector256.Load(wp + 32) ^ flip).AsSByte();
                var u0 = Avx2.Abs(w0);
                var u1 = Avx2.Abs(w1);
                var a = Broadcast(x0);
                c00 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u0, Avx2.Sign(a, w0)), ones);
                c01 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u1, Avx2.Sign(a, w1)), ones);
                a = Broadcast(x1);
                c10 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u0, Avx2.Sign(a, w0)), ones);
                c11 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u1, Avx2.Sign(a, w1)), ones);
            }
            return;
        }
        for (int s = 0; s < steps; s += chain)
        {
            Vector256<short> h00 = default, h01 = default, h10 = default, h11 = default;
            int end = Math.Min(steps, s + chain);
            for (int j = s; j < end; j++, wp += 64, x0 += 4, x1 += 4)
            {
                var w0 = Vector256.Load(wp);
                var w1 = Vector256.Load(wp + 32);
                var a = Broadcast(x0);
                h00 += Avx2.MultiplyAddAdjacent(w0, a);
                h01 += Avx2.MultiplyAddAdjacent(w1, a);
                a = Broadcast(x1);
                h10 += Avx2.MultiplyAddAdjacent(w0, a);
                h11 += Avx2.MultiplyAddAdjacent(w1, a);
            }
            c00 += Avx2.MultiplyAddAdjacent(h00, ones);
            c01 += Avx2.MultiplyAddAdjacent(h01, ones);
            c10 += Avx2.MultiplyAddAdjacent(h10, ones);
            c11 += Avx2.MultiplyAddAdjacent(h11, ones);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<sbyte> Broadcast(sbyte* p) => Vector256.Create(*(int*)p).AsSByte();

    /// <summary>A block's sums, times the activation scale, into a tile row of 16 floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddScaled(float* row, Vector256<float> low, Vector256<float> high, float scale)
    {
        var s = Vector256.Create(scale);
        Fma.MultiplyAdd(low, s, Vector256.Load(row)).Store(row);
        Fma.MultiplyAdd(high, s, Vector256.Load(row + 8)).Store(row + 8);
    }

    /// <summary>
    /// Σ over groups of offset·(d_a·sum), subtracted in group order from the rows of <paramref name="tokens"/> (even)
    /// tokens of a K-quant tile: four tokens at a time make eight independent chains of fused multiply-adds.
    /// </summary>
    public static void SubtractOffsets(QuantizedPanel panel, QuantizedActivations a, int t0, float* tile, int tokens = 4)
    {
        int t = 0;
        for (; t + 4 <= tokens; t += 4)
        {
            SubtractOffsetsOfFour(panel, a, t0 + t, tile + t * 16);
        }
        if (t < tokens)
        {
            SubtractOffsetsOfTwo(panel, a, t0 + t, tile + t * 16);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SubtractOffsetsOfFour(QuantizedPanel panel, QuantizedActivations a, int t0, float* tile)
    {
        int groups = panel.Columns / panel.Format.GroupSize;
        int gpt = a.GroupsPerToken;
        float* go = panel.GroupOffsetFloats;
        float* q0 = a.ScaledSums + (long)t0 * gpt, q1 = q0 + gpt, q2 = q1 + gpt, q3 = q2 + gpt;
        var r00 = Vector256.Load(tile);
        var r01 = Vector256.Load(tile + 8);
        var r10 = Vector256.Load(tile + 16);
        var r11 = Vector256.Load(tile + 24);
        var r20 = Vector256.Load(tile + 32);
        var r21 = Vector256.Load(tile + 40);
        var r30 = Vector256.Load(tile + 48);
        var r31 = Vector256.Load(tile + 56);
        for (int g = 0; g < groups; g++)
        {
            var o0 = Vector256.Load(go + g * 16);
            var o1 = Vector256.Load(go + g * 16 + 8);
            var q = Vector256.Create(q0[g]);
            r00 = Fma.MultiplyAddNegated(o0, q, r00);
            r01 = Fma.MultiplyAddNegated(o1, q, r01);
            q = Vector256.Create(q1[g]);
            r10 = Fma.MultiplyAddNegated(o0, q, r10);
            r11 = Fma.MultiplyAddNegated(o1, q, r11);
            q = Vector256.Create(q2[g]);
            r20 = Fma.MultiplyAddNegated(o0, q, r20);
            r21 = Fma.MultiplyAddNegated(o1, q, r21);
            q = Vector256.Create(q3[g]);
            r30 = Fma.MultiplyAddNegated(o0, q, r30);
            r31 = Fma.MultiplyAddNegated(o1, q, r31);
        }
        r00.Store(tile);
        r01.Store(tile + 8);
        r10.Store(tile + 16);
        r11.Store(tile + 24);
        r20.Store(tile + 32);
        r21.Store(tile + 40);
        r30.Store(tile + 48);
        r31.Store(tile + 56);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SubtractOffsetsOfTwo(QuantizedPanel panel, QuantizedActivations a, int t0, float* tile)
    {
        int groups = panel.Columns / panel.Format.GroupSize;
        int gpt = a.GroupsPerToken;
        float* go = panel.GroupOffsetFloats;
        float* q0 = a.ScaledSums + (long)t0 * gpt, q1 = q0 + gpt;
        var r00 = Vector256.Load(tile);
        var r01 = Vector256.Load(tile + 8);
        var r10 = Vector256.Load(tile + 16);
        var r11 = Vector256.Load(tile + 24);
        for (int g = 0; g < groups; g++)
        {
            var o0 = Vector256.Load(go + g * 16);
            var o1 = Vector256.Load(go + g * 16 + 8);
            var q = Vector256.Create(q0[g]);
            r00 = Fma.MultiplyAddNegated(o0, q, r00);
            r01 = Fma.MultiplyAddNegated(o1, q, r01);
            q = Vector256.Create(q1[g]);
            r10 = Fma.MultiplyAddNegated(o0, q, r10);
            r11 = Fma.MultiplyAddNegated(o1, q, r11);
        }
        r00.Store(tile);
        r01.Store(tile + 8);
        r10.Store(tile + 16);
        r11.Store(tile + 24);
    }
}
