using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GgufPs.Inference;

/// <summary>
/// <see cref="Int8Gemm"/>'s tiles with AVX-512BW for CPUs with AVX-512 but without the VEX AVX-VNNI (.NET exposes no
/// 512-bit vpdpbusd): one register holds a step of all 16 rows, and vpmaddubsw and vpmaddwd multiply it by four
/// tokens. Small weights keep int16 sums as in <see cref="Int8GemmAvx2"/>; byte weights go signed, with the sign of
/// each weight moved onto the activation by a masked negation (AVX-512 has no vpsignb). The float steps are those
/// of <see cref="Int8GemmAvxVnni"/> on 16 lanes.
/// </summary>
internal static unsafe class Int8GemmAvx512
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void KQuantTile(QuantizedPanel panel, QuantizedActivations a, int t0, float* tile)
    {
        var f = panel.Format;
        int k = panel.Columns;
        int groupsPerBlock = 256 / f.GroupSize;
        int stepsPerGroup = f.GroupSize / 4;
        int chain = Math.Min(f.Int16Steps, stepsPerGroup);
        bool byteWeights = f.ByteWeights;
        int correction = (byteWeights ? 128 : 0) - f.Bias;
        int blocks = k / 256;
        sbyte* x0 = a.Values + (long)t0 * k;
        int bpt = a.BlocksPerToken;
        int gpt = a.GroupsPerToken;
        float* d0 = a.Scales + (long)t0 * bpt;
        int* sums = a.Sums + (long)t0 * gpt;
        byte* w = panel.Weights;
        float* gs = panel.GroupScaleFloats;
        new Span<float>(tile, QuantizedPanel.Rows * 4).Clear();
        int step = 0;
        for (int b = 0; b < blocks; b++)
        {
            Vector512<float> f0 = default, f1 = default, f2 = default, f3 = default;
            for (int gi = 0; gi < groupsPerBlock; gi++, step += stepsPerGroup)
            {
                int group = b * groupsPerBlock + gi;
                GroupDots(w + (long)step * 64, x0 + (long)step * 4, k, stepsPerGroup, chain, byteWeights,
                    out var c0, out var c1, out var c2, out var c3);
                // Σ(u − bias)·a: byte weights were multiplied as u − 128.
                if (correction != 0)
                {
                    c0 += Vector512.Create(correction * sums[group]);
                    c1 += Vector512.Create(correction * sums[gpt + group]);
                    c2 += Vector512.Create(correction * sums[2 * gpt + group]);
                    c3 += Vector512.Create(correction * sums[3 * gpt + group]);
                }
                var sc = Vector512.Load(gs + group * 16);
                f0 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(c0), sc, f0);
                f1 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(c1), sc, f1);
                f2 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(c2), sc, f2);
                f3 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(c3), sc, f3);
            }
            AddScaled(tile, f0, d0[b]);
            AddScaled(tile + 16, f1, d0[bpt + b]);
            AddScaled(tile + 32, f2, d0[2 * bpt + b]);
            AddScaled(tile + 48, f3, d0[3 * bpt + b]);
        }
        if (f.SeparateMinimum)
        {
            SubtractOffsets(panel, a, t0, tile);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BlockTile(QuantizedPanel panel, QuantizedActivations a, int t0, float* tile)
    {
        var f = panel.Format;
        int k = panel.Columns;
        int blocks = k / 32;
        int chain = Math.Min(f.Int16Steps, 8);
        bool byteWeights = f.ByteWeights;
        int bias = byteWeights ? f.Bias - 128 : f.Bias;
        sbyte* x0 = a.Values + (long)t0 * k;
        int gpt = a.GroupsPerToken;
        int bpt = a.BlocksPerToken;
        int* s = a.Sums + (long)t0 * gpt;
        float* d = a.Scales + (long)t0 * bpt;
        float* m = a.BlockSums + (long)t0 * bpt;
        bool minimum = f.SeparateMinimum;
        byte* w = panel.Weights;
        Vector512<float> o0 = default, o1 = default, o2 = default, o3 = default;
        for (int b = 0; b < blocks; b++)
        {
            GroupDots(w + (long)b * 512, x0 + b * 32, k, 8, chain, byteWeights, out var c0, out var c1, out var c2, out var c3);
            var ws = Vector512.Load(panel.Scales + b * 16);
            o0 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(c0 - Vector512.Create(bias * s[b])), ws * d[b], o0);
            o1 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(c1 - Vector512.Create(bias * s[gpt + b])), ws * d[bpt + b], o1);
            o2 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(c2 - Vector512.Create(bias * s[2 * gpt + b])), ws * d[2 * bpt + b], o2);
            o3 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(c3 - Vector512.Create(bias * s[3 * gpt + b])), ws * d[3 * bpt + b], o3);
            if (minimum)
            {
                var mn = Vector512.Load(panel.MinScales + b * 16);
                o0 = Vector512.FusedMultiplyAdd(mn, Vector512.Create(m[b]), o0);
                o1 = Vector512.FusedMultiplyAdd(mn, Vector512.Create(m[bpt + b]), o1);
                o2 = Vector512.FusedMultiplyAdd(mn, Vector512.Create(m[2 * bpt + b]), o2);
                o3 = Vector512.FusedMultiplyAdd(mn, Vector512.Create(m[3 * bpt + b]), o3);
            }
        }
        o0.Store(tile);
        o1.Store(tile + 16);
        o2.Store(tile + 32);
        o3.Store(tile + 48);
    }

    /// <summary>The int32 dot products Σ u·a of the 16 rows with four tokens (<paramref name="k"/> apart) over some steps.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GroupDots(byte* wp, sbyte* x, int k, int steps, int chain, bool byteWeights,
        out Vector512<int> c0, out Vector512<int> c1, out Vector512<int> c2, out Vector512<int> c3)
    {
        var ones = Vector512.Create((short)1);
        sbyte* x1 = x + k, x2 = x1 + k, x3 = x2 + k;
        c0 = default;
        c1 = default;
        c2 = default;
        c3 = default;
        if (byteWeights)
        {
            var flip = Vector512.Create((byte)0x80);
            for (int s = 0; s < steps; s++, wp += 64, x += 4, x1 += 4, x2 += 4, x3 += 4)
            {
                var signed = (Vector512.Load(wp) ^ flip).AsSByte();
                var magnitude = Avx512BW.Abs(signed);
                var negative = Vector512.LessThan(signed, Vector512<sbyte>.Zero);
                c0 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(magnitude, WithSign(Broadcast(x), negative)), ones);
                c1 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(magnitude, WithSign(Broadcast(x1), negative)), ones);
                c2 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(magnitude, WithSign(Broadcast(x2), negative)), ones);
                c3 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(magnitude, WithSign(Broadcast(x3), negative)), ones);
            }
            return;
        }
        for (int s = 0; s < steps; s += chain)
        {
            Vector512<short> h0 = default, h1 = default, h2 = default, h3 = default;
            int end = Math.Min(steps, s + chain);
            for (int j = s; j < end; j++, wp += 64, x += 4, x1 += 4, x2 += 4, x3 += 4)
            {
                var u = Vector512.Load(wp);
                h0 += Avx512BW.MultiplyAddAdjacent(u, Broadcast(x));
                h1 += Avx512BW.MultiplyAddAdjacent(u, Broadcast(x1));
                h2 += Avx512BW.MultiplyAddAdjacent(u, Broadcast(x2));
                h3 += Avx512BW.MultiplyAddAdjacent(u, Broadcast(x3));
            }
            c0 += Avx512BW.MultiplyAddAdjacent(h0, ones);
            c1 += Avx512BW.MultiplyAddAdjacent(h1, ones);
            c2 += Avx512BW.MultiplyAddAdjacent(h2, ones);
            c3 += Avx512BW.MultiplyAddAdjacent(h3, ones);
        }
    }

    /// <summary>a negated where the weight is negative: |w|·this = w·a (activations never reach −128).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<sbyte> WithSign(Vector512<sbyte> a, Vector512<sbyte> negative) =>
        Vector512.ConditionalSelect(negative, Vector512<sbyte>.Zero - a, a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<sbyte> Broadcast(sbyte* p) => Vector512.Create(*(int*)p).AsSByte();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddScaled(float* row, Vector512<float> sums, float scale) =>
        Vector512.FusedMultiplyAdd(sums, Vector512.Create(scale), Vector512.Load(row)).Store(row);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SubtractOffsets(QuantizedPanel panel, QuantizedActivations a, int t0, float* tile)
    {
        int groups = panel.Columns / panel.Format.GroupSize;
        int gpt = a.GroupsPerToken;
        float* go = panel.GroupOffsetFloats;
        float* q0 = a.ScaledSums + (long)t0 * gpt, q1 = q0 + gpt, q2 = q1 + gpt, q3 = q2 + gpt;
        var r0 = Vector512.Load(tile);
        var r1 = Vector512.Load(tile + 16);
        var r2 = Vector512.Load(tile + 32);
        var r3 = Vector512.Load(tile + 48);
        for (int g = 0; g < groups; g++)
        {
            var o = Vector512.Load(go + g * 16);
            r0 = Avx512F.FusedMultiplyAddNegated(o, Vector512.Create(q0[g]), r0);
            r1 = Avx512F.FusedMultiplyAddNegated(o, Vector512.Create(q1[g]), r1);
            r2 = Avx512F.FusedMultiplyAddNegated(o, Vector512.Create(q2[g]), r2);
            r3 = Avx512F.FusedMultiplyAddNegated(o, Vector512.Create(q3[g]), r3);
        }
        r0.Store(tile);
        r1.Store(tile + 16);
        r2.Store(tile + 32);
        r3.Store(tile + 48);
    }
}
