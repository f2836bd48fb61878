using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GgufPs.Inference;

/// <summary>
/// <see cref="FloatGemm"/>'s tiles with AVX2 and FMA: the sixteen lanes of an output are two registers. Sixteen
/// registers hold the sums of a 4-row × 3-token tile for one half of the lanes at a time: the lanes never meet
/// before the final reduction, so the tile makes one pass over k for lanes 0–7 and one for lanes 8–15.
/// </summary>
internal static unsafe class FloatGemm256
{
    private const int RowTile = 4;
    private const int TokenTile = 3;

    public static void MultiplyPanel(float* panel, int rows, int k, float* x, int tokens, float* y, int ldy)
    {
        for (int t0 = 0; t0 < tokens; t0 += TokenTile)
        {
            int nt = Math.Min(TokenTile, tokens - t0);
            for (int r0 = 0; r0 < rows; r0 += RowTile)
            {
                int nr = Math.Min(RowTile, rows - r0);
                if (nr == RowTile && nt == TokenTile)
                {
                    Kernel4x3(panel + (long)r0 * k, x + (long)t0 * k, k, y + (long)t0 * ldy + r0, ldy);
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
        var low = Vector256<float>.Zero;
        var high = Vector256<float>.Zero;
        for (int l = 0; l < k; l += 16)
        {
            low = Vector256.FusedMultiplyAdd(Vector256.Load(w + l), Vector256.Load(x + l), low);
            high = Vector256.FusedMultiplyAdd(Vector256.Load(w + l + 8), Vector256.Load(x + l + 8), high);
        }
        return SixteenLanes.Sum(low, high);
    }

    private static void Kernel4x3(float* w, float* x, int k, float* y, int ldy)
    {
        var low = stackalloc Vector256<float>[RowTile * TokenTile];
        var high = stackalloc Vector256<float>[RowTile * TokenTile];
        HalfLanes(w, x, k, 0, low);
        HalfLanes(w, x, k, 8, high);
        for (int t = 0; t < TokenTile; t++)
        {
            for (int r = 0; r < RowTile; r++)
            {
                y[(long)t * ldy + r] = SixteenLanes.Sum(low[r * TokenTile + t], high[r * TokenTile + t]);
            }
        }
    }

    /// <summary>Lanes <paramref name="offset"/>..offset+7 of the tile's twelve sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void HalfLanes(float* w, float* x, int k, int offset, Vector256<float>* sums)
    {
        float* w0 = w + offset, w1 = w0 + k, w2 = w1 + k, w3 = w2 + k;
        float* x0 = x + offset, x1 = x0 + k, x2 = x1 + k;
        Vector256<float> c00 = default, c01 = default, c02 = default;
        Vector256<float> c10 = default, c11 = default, c12 = default;
        Vector256<float> c20 = default, c21 = default, c22 = default;
        Vector256<float> c30 = default, c31 = default, c32 = default;
        for (int l = 0; l < k; l += 16)
        {
            var b0 = Vector256.Load(x0 + l);
            var b1 = Vector256.Load(x1 + l);
            var b2 = Vector256.Load(x2 + l);
            var a = Vector256.Load(w0 + l);
            c00 = Vector256.FusedMultiplyAdd(a, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(a, b1, c01);
            c02 = Vector256.FusedMultiplyAdd(a, b2, c02);
            a = Vector256.Load(w1 + l);
            c10 = Vector256.FusedMultiplyAdd(a, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(a, b1, c11);
            c12 = Vector256.FusedMultiplyAdd(a, b2, c12);
            a = Vector256.Load(w2 + l);
            c20 = Vector256.FusedMultiplyAdd(a, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(a, b1, c21);
            c22 = Vector256.FusedMultiplyAdd(a, b2, c22);
            a = Vector256.Load(w3 + l);
            c30 = Vector256.FusedMultiplyAdd(a, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(a, b1, c31);
            c32 = Vector256.FusedMultiplyAdd(a, b2, c32);
        }
        sums[0] = c00; sums[1] = c01; sums[2] = c02;
        sums[3] = c10; sums[4] = c11; sums[5] = c12;
        sums[6] = c20; sums[7] = c21; sums[8] = c22;
        sums[9] = c30; sums[10] = c31; sums[11] = c32;
    }
}
