using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace GgufPs.Inference;

/// <summary>
/// <see cref="Int8Gemm"/>'s tiles with 128-bit vectors, four rows to a register. On ARM64 the weights go signed
/// (the small ones already are; byte weights lose their 128 and take 128 times the activation sum back) and SDOT
/// multiplies them by one of the four 4-byte groups of a loaded activation vector, as llama.cpp's ARM kernels do;
/// without the dot-product extension, SMULL and pairwise adds make the same sums. On x64 SSSE3's pmaddubsw and
/// pmaddwd do, with the sign trick for byte weights. The float steps are those of <see cref="Int8GemmAvxVnni"/>
/// four lanes at a time. A pass covers 16 rows × 2 tokens.
/// </summary>
internal static unsafe class Int8GemmVector128
{
    public static void KQuantTile(QuantizedPanel panel, QuantizedActivations a, int t0, float* tile)
    {
        KQuantPair(panel, a, t0, tile);
        KQuantPair(panel, a, t0 + 2, tile + 2 * QuantizedPanel.Rows);
        if (panel.Format.SeparateMinimum)
        {
            SubtractOffsets(panel, a, t0, tile);
        }
    }

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
            Vector128<float> f00 = default, f01 = default, f02 = default, f03 = default;
            Vector128<float> f10 = default, f11 = default, f12 = default, f13 = default;
            for (int gi = 0; gi < groupsPerBlock; gi++, step += stepsPerGroup)
            {
                int group = b * groupsPerBlock + gi;
                GroupDots(w + (long)step * 64, x0 + (long)step * 4, x1 + (long)step * 4, stepsPerGroup, byteWeights,
                    out var c00, out var c01, out var c02, out var c03, out var c10, out var c11, out var c12, out var c13);
                // Σ(u − bias)·a: byte weights were multiplied as u − 128.
                if (correction != 0)
                {
                    var u0 = Vector128.Create(correction * sums0[group]);
                    var u1 = Vector128.Create(correction * sums1[group]);
                    c00 += u0; c01 += u0; c02 += u0; c03 += u0;
                    c10 += u1; c11 += u1; c12 += u1; c13 += u1;
                }
                float* sc = gs + group * 16;
                var s0 = Vector128.Load(sc);
                var s1 = Vector128.Load(sc + 4);
                var s2 = Vector128.Load(sc + 8);
                var s3 = Vector128.Load(sc + 12);
                f00 = ExactFma.MultiplyAdd(Vector128.ConvertToSingle(c00), s0, f00);
                f01 = ExactFma.MultiplyAdd(Vector128.ConvertToSingle(c01), s1, f01);
                f02 = ExactFma.MultiplyAdd(Vector128.ConvertToSingle(c02), s2, f02);
                f03 = ExactFma.MultiplyAdd(Vector128.ConvertToSingle(c03), s3, f03);
                f10 = ExactFma.MultiplyAdd(Vector128.ConvertToSingle(c10), s0, f10);
                f11 = ExactFma.MultiplyAdd(Vector128.ConvertToSingle(c11), s1, f11);
                f12 = ExactFma.MultiplyAdd(Vector128.ConvertToSingle(c12), s2, f12);
                f13 = ExactFma.MultiplyAdd(Vector128.ConvertToSingle(c13), s3, f13);
            }
            AddScaled(tile, f00, f01, f02, f03, d0[b]);
            AddScaled(tile + 16, f10, f11, f12, f13, d0[bpt + b]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BlockPair(QuantizedPanel panel, QuantizedActivations a, int t0, float* tile)
    {
        var f = panel.Format;
        int k = panel.Columns;
        int blocks = k / 32;
        bool byteWeights = f.ByteWeights;
        int bias = byteWeights ? f.Bias - 128 : f.Bias;
        sbyte* x0 = a.Values + (long)t0 * k, x1 = x0 + k;
        int* s0 = a.Sums + (long)t0 * a.GroupsPerToken, s1 = s0 + a.GroupsPerToken;
        float* d0 = a.Scales + (long)t0 * a.BlocksPerToken, d1 = d0 + a.BlocksPerToken;
        float* m0 = a.BlockSums + (long)t0 * a.BlocksPerToken, m1 = m0 + a.BlocksPerToken;
        bool minimum = f.SeparateMinimum;
        byte* w = panel.Weights;
        Vector128<float> o00 = default, o01 = default, o02 = default, o03 = default;
        Vector128<float> o10 = default, o11 = default, o12 = default, o13 = default;
        for (int b = 0; b < blocks; b++)
        {
            GroupDots(w + (long)b * 512, x0 + b * 32, x1 + b * 32, 8, byteWeights,
                out var c00, out var c01, out var c02, out var c03, out var c10, out var c11, out var c12, out var c13);
            float* ws = panel.Scales + b * 16;
            var ws0 = Vector128.Load(ws);
            var ws1 = Vector128.Load(ws + 4);
            var ws2 = Vector128.Load(ws + 8);
            var ws3 = Vector128.Load(ws + 12);
            var b0 = Vector128.Create(bias * s0[b]);
            var b1 = Vector128.Create(bias * s1[b]);
            o00 = ExactFma.MultiplyAdd(Vector128.ConvertToSingle(c00 - b0), ws0 * d0[b], o00);
            o01 = ExactFma.MultiplyAdd(Vector128.ConvertToSingle(c01 - b0), ws1 * d0[b], o01);
            o02 = ExactFma.MultiplyAdd(Vector128.ConvertToSingle(c02 - b0), ws2 * d0[b], o02);
            o03 = ExactFma.MultiplyAdd(Vector128.ConvertToSingle(c03 - b0), ws3 * d0[b], o03);
            o10 = ExactFma.MultiplyAdd(Vector128.ConvertToSingle(c10 - b1), ws0 * d1[b], o10);
            o11 = ExactFma.MultiplyAdd(Vector128.ConvertToSingle(c11 - b1), ws1 * d1[b], o11);
            o12 = ExactFma.MultiplyAdd(Vector128.ConvertToSingle(c12 - b1), ws2 * d1[b], o12);
            o13 = ExactFma.MultiplyAdd(Vector128.ConvertToSingle(c13 - b1), ws3 * d1[b], o13);
            if (minimum)
            {
                float* mn = panel.MinScales + b * 16;
                var n0 = Vector128.Create(m0[b]);
                var n1 = Vector128.Create(m1[b]);
                var mn0 = Vector128.Load(mn);
                var mn1 = Vector128.Load(mn + 4);
                var mn2 = Vector128.Load(mn + 8);
                var mn3 = Vector128.Load(mn + 12);
                o00 = ExactFma.MultiplyAdd(mn0, n0, o00);
                o01 = ExactFma.MultiplyAdd(mn1, n0, o01);
                o02 = ExactFma.MultiplyAdd(mn2, n0, o02);
                o03 = ExactFma.MultiplyAdd(mn3, n0, o03);
                o10 = ExactFma.MultiplyAdd(mn0, n1, o10);
                o11 = ExactFma.MultiplyAdd(mn1, n1, o11);
                o12 = ExactFma.MultiplyAdd(mn2, n1, o12);
                o13 = ExactFma.MultiplyAdd(mn3, n1, o13);
            }
        }
        o00.Store(tile);
        o01.Store(tile + 4);
        o02.Store(tile + 8);
        o03.Store(tile + 12);
        o10.Store(tile + 16);
        o11.Store(tile + 20);
        o12.Store(tile + 24);
        o13.Store(tile + 28);
    }

    /// <summary>
    /// The int32 dot products of the 16 rows (c·q: rows 4q..4q+3) with two tokens over <paramref name="steps"/> steps of
    /// 4 columns (a multiple of 4), as Σ u·a for the small weights and Σ (u − 128)·a for byte weights.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GroupDots(byte* wp, sbyte* x0, sbyte* x1, int steps, bool byteWeights,
        out Vector128<int> c00, out Vector128<int> c01, out Vector128<int> c02, out Vector128<int> c03,
        out Vector128<int> c10, out Vector128<int> c11, out Vector128<int> c12, out Vector128<int> c13)
    {
        c00 = c01 = c02 = c03 = c10 = c11 = c12 = c13 = default;
        var flip = Vector128.Create(byteWeights ? (byte)0x80 : (byte)0);
        for (int s = 0; s < steps; s += 4, x0 += 16, x1 += 16)
        {
            var a0 = Vector128.Load(x0);
            var a1 = Vector128.Load(x1);
            Step(wp, flip, a0, a1, 0, byteWeights, ref c00, ref c01, ref c02, ref c03, ref c10, ref c11, ref c12, ref c13);
            Step(wp + 64, flip, a0, a1, 1, byteWeights, ref c00, ref c01, ref c02, ref c03, ref c10, ref c11, ref c12, ref c13);
            Step(wp + 128, flip, a0, a1, 2, byteWeights, ref c00, ref c01, ref c02, ref c03, ref c10, ref c11, ref c12, ref c13);
            Step(wp + 192, flip, a0, a1, 3, byteWeights, ref c00, ref c01, ref c02, ref c03, ref c10, ref c11, ref c12, ref c13);
            wp += 256;
        }
    }

    /// <summary>One step of 4 columns: the weights of 16 rows (signed: flipped by 128 for byte weights) times the 4-byte group <paramref name="lane"/> of each token.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step(byte* wp, Vector128<byte> flip, Vector128<sbyte> a0, Vector128<sbyte> a1, [ConstantExpected(Max = 3)] byte lane, bool byteWeights,
        ref Vector128<int> c00, ref Vector128<int> c01, ref Vector128<int> c02, ref Vector128<int> c03,
        ref Vector128<int> c10, ref Vector128<int> c11, ref Vector128<int> c12, ref Vector128<int> c13)
    {
        var w0 = (Vector128.Load(wp) ^ flip).AsSByte();
        var w1 = (Vector128.Load(wp + 16) ^ flip).AsSByte();
        var w2 = (Vector128.Load(wp + 32) ^ flip).AsSByte();
        var w3 = (Vector128.Load(wp + 48) ^ flip).AsSByte();
        if (Dp.IsSupported)
        {
            c00 = Dp.DotProductBySelectedQuadruplet(c00, w0, a0, lane);
            c01 = Dp.DotProductBySelectedQuadruplet(c01, w1, a0, lane);
            c02 = Dp.DotProductBySelectedQuadruplet(c02, w2, a0, lane);
            c03 = Dp.DotProductBySelectedQuadruplet(c03, w3, a0, lane);
            c10 = Dp.DotProductBySelectedQuadruplet(c10, w0, a1, lane);
            c11 = Dp.DotProductBySelectedQuadruplet(c11, w1, a1, lane);
            c12 = Dp.DotProductBySelectedQuadruplet(c12, w2, a1, lane);
            c13 = Dp.DotProductBySelectedQuadruplet(c13, w3, a1, lane);
            return;
        }
        var b0 = Vector128.Shuffle(a0.AsInt32(), Vector128.Create((int)lane)).AsSByte();
        var b1 = Vector128.Shuffle(a1.AsInt32(), Vector128.Create((int)lane)).AsSByte();
        c00 += Dot(w0, b0, byteWeights);
        c01 += Dot(w1, b0, byteWeights);
        c02 += Dot(w2, b0, byteWeights);
        c03 += Dot(w3, b0, byteWeights);
        c10 += Dot(w0, b1, byteWeights);
        c11 += Dot(w1, b1, byteWeights);
        c12 += Dot(w2, b1, byteWeights);
        c13 += Dot(w3, b1, byteWeights);
    }

    /// <summary>Four rows' sums of 4 products w·a, a the same 4 bytes in each row's lane; w signed, at least −128.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> Dot(Vector128<sbyte> w, Vector128<sbyte> a, bool byteWeights)
    {
        if (AdvSimd.Arm64.IsSupported)
        {
            var low = AdvSimd.AddPairwiseWidening(AdvSimd.MultiplyWideningLower(w.GetLower(), a.GetLower()));
            var high = AdvSimd.AddPairwiseWidening(AdvSimd.MultiplyWideningUpper(w, a));
            return AdvSimd.Arm64.AddPairwise(low, high);
        }
        var ones = Vector128.Create((short)1);
        // Weights up to 63 are their own magnitude; byte weights take llama.cpp's sign trick.
        var products = byteWeights
            ? Ssse3.MultiplyAddAdjacent(Ssse3.Abs(w), Ssse3.Sign(a, w))
            : Ssse3.MultiplyAddAdjacent(w.AsByte(), a);
        return Sse2.MultiplyAddAdjacent(products, ones);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddScaled(float* row, Vector128<float> q0, Vector128<float> q1, Vector128<float> q2, Vector128<float> q3, float scale)
    {
        var s = Vector128.Create(scale);
        ExactFma.MultiplyAdd(q0, s, Vector128.Load(row)).Store(row);
        ExactFma.MultiplyAdd(q1, s, Vector128.Load(row + 4)).Store(row + 4);
        ExactFma.MultiplyAdd(q2, s, Vector128.Load(row + 8)).Store(row + 8);
        ExactFma.MultiplyAdd(q3, s, Vector128.Load(row + 12)).Store(row + 12);
    }

    /// <summary>The offsets of two tokens at a time, eight independent chains over the groups.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SubtractOffsets(QuantizedPanel panel, QuantizedActivations a, int t0, float* tile)
    {
        int groups = panel.Columns / panel.Format.GroupSize;
        int gpt = a.GroupsPerToken;
        float* go = panel.GroupOffsetFloats;
        for (int t = 0; t < 4; t += 2)
        {
            float* q0 = a.ScaledSums + (long)(t0 + t) * gpt, q1 = q0 + gpt;
            float* row0 = tile + t * 16, row1 = row0 + 16;
            var r00 = Vector128.Load(row0);
            var r01 = Vector128.Load(row0 + 4);
            var r02 = Vector128.Load(row0 + 8);
            var r03 = Vector128.Load(row0 + 12);
            var r10 = Vector128.Load(row1);
            var r11 = Vector128.Load(row1 + 4);
            var r12 = Vector128.Load(row1 + 8);
            var r13 = Vector128.Load(row1 + 12);
            for (int g = 0; g < groups; g++)
            {
                float* o = go + g * 16;
                var n0 = -Vector128.Load(o);
                var n1 = -Vector128.Load(o + 4);
                var n2 = -Vector128.Load(o + 8);
                var n3 = -Vector128.Load(o + 12);
                var q = Vector128.Create(q0[g]);
                r00 = ExactFma.MultiplyAdd(n0, q, r00);
                r01 = ExactFma.MultiplyAdd(n1, q, r01);
                r02 = ExactFma.MultiplyAdd(n2, q, r02);
                r03 = ExactFma.MultiplyAdd(n3, q, r03);
                q = Vector128.Create(q1[g]);
                r10 = ExactFma.MultiplyAdd(n0, q, r10);
                r11 = ExactFma.MultiplyAdd(n1, q, r11);
                r12 = ExactFma.MultiplyAdd(n2, q, r12);
                r13 = ExactFma.MultiplyAdd(n3, q, r13);
            }
            r00.Store(row0);
            r01.Store(row0 + 4);
            r02.Store(row0 + 8);
            r03.Store(row0 + 12);
            r10.Store(row1);
            r11.Store(row1 + 4);
            r12.Store(row1 + 8);
            r13.Store(row1 + 12);
        }
    }
}
