using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GgufPs.Inference;

/// <summary>
/// <see cref="FloatGemm"/>'s tiles with AVX-512: the sixteen lanes of an output are one register, and a tile of
/// 4 rows × 6 tokens keeps its 24 sums in registers. The tile's sums are reduced sixteen at a time by a shuffle
/// network; a last partial tile of tokens repeats its last token rather than fall to one output at a time.
/// </summary>
internal static unsafe class FloatGemm512
{
    private const int RowTile = 4;
    private const int TokenTile = 6;

    public static void MultiplyPanel(float* panel, int rows, int k, float* x, int tokens, float* y, int ldy)
    {
        var sums = stackalloc Vector512<float>[32];
        for (int t0 = 0; t0 < tokens; t0 += TokenTile)
        {
            int nt = Math.Min(TokenTile, tokens - t0);
            for (int r0 = 0; r0 < rows; r0 += RowTile)
            {
                int nr = Math.Min(RowTile, rows - r0);
                if (nr == RowTile)
                {
                    Kernel4x6(panel + (long)r0 * k, x + (long)t0 * k, nt, k, sums);
                    Store(sums, nt, y + (long)t0 * ldy + r0, ldy);
                }
                else
                {
                    for (int t = 0; t < nt; t++)
                    {
                        for (int r = 0; r < nr; r++)
                        {
                            y[(long)(t0 + t) * ldy + r0 + r] = Dot(panel + (long)(r0 + r) * k, x + (long)(t0 + t) * k, k);
                        }
                    }
                }
            }
        }
    }

    /// <summary>One output in tinyBLAS's order; k is a multiple of 16.</summary>
    public static float Dot(float* w, float* x, int k)
    {
        var c = Vector512<float>.Zero;
        for (int l = 0; l < k; l += 16)
        {
            c = Vector512.FusedMultiplyAdd(Vector512.Load(w + l), Vector512.Load(x + l), c);
        }
        return SixteenLanes.Sum(c);
    }

    /// <summary>
    /// The 24 sums of 4 rows × <paramref name="tokens"/> (up to 6; missing tokens repeat the last) into
    /// sums[4r + t] for tokens 0–3 and sums[16 + 4r + t − 4] for tokens 4 and 5.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel4x6(float* w, float* x, int tokens, int k, Vector512<float>* sums)
    {
        float* w0 = w, w1 = w + k, w2 = w + 2 * k, w3 = w + 3 * k;
        float* x0 = x, x1 = x + Math.Min(1, tokens - 1) * k, x2 = x + Math.Min(2, tokens - 1) * k;
        float* x3 = x + Math.Min(3, tokens - 1) * k, x4 = x + Math.Min(4, tokens - 1) * k, x5 = x + Math.Min(5, tokens - 1) * k;
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
        sums[0] = c00; sums[1] = c01; sums[2] = c02; sums[3] = c03;
        sums[4] = c10; sums[5] = c11; sums[6] = c12; sums[7] = c13;
        sums[8] = c20; sums[9] = c21; sums[10] = c22; sums[11] = c23;
        sums[12] = c30; sums[13] = c31; sums[14] = c32; sums[15] = c33;
        sums[16] = c04; sums[17] = c05;
        sums[20] = c14; sums[21] = c15;
        sums[24] = c24; sums[25] = c25;
        sums[28] = c34; sums[29] = c35;
    }

    /// <summary>The tile's outputs: slot 4r + t of each sixteen ends in lane 4t + r, so each token's four rows are one quarter.</summary>
    private static void Store(Vector512<float>* sums, int tokens, float* y, int ldy)
    {
        var first = SixteenLanes.SumSixteen(sums);
        first.GetLower().GetLower().Store(y);
        if (tokens > 1) first.GetLower().GetUpper().Store(y + ldy);
        if (tokens > 2) first.GetUpper().GetLower().Store(y + 2L * ldy);
        if (tokens > 3) first.GetUpper().GetUpper().Store(y + 3L * ldy);
        if (tokens > 4)
        {
            var second = SixteenLanes.SumSixteen(sums + 16);
            second.GetLower().GetLower().Store(y + 4L * ldy);
            if (tokens > 5) second.GetLower().GetUpper().Store(y + 5L * ldy);
        }
    }
}
