using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GgufPs.Inference;

/// <summary>
/// <see cref="FloatGemm"/>'s tiles with 128-bit vectors (AdvSimd on ARM64, SSE on x64): the sixteen lanes of an
/// output are four registers, and a 4-row × 3-token tile makes one pass over k for each quarter of the lanes.
/// </summary>
internal static unsafe class FloatGemm128
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
        Vector128<float> q0 = default, q1 = default, q2 = default, q3 = default;
        for (int l = 0; l < k; l += 16)
        {
            q0 = ExactFma.MultiplyAdd(Vector128.Load(w + l), Vector128.Load(x + l), q0);
            q1 = ExactFma.MultiplyAdd(Vector128.Load(w + l + 4), Vector128.Load(x + l + 4), q1);
            q2 = ExactFma.MultiplyAdd(Vector128.Load(w + l + 8), Vector128.Load(x + l + 8), q2);
            q3 = ExactFma.MultiplyAdd(Vector128.Load(w + l + 12), Vector128.Load(x + l + 12), q3);
        }
        return SixteenLanes.Sum(q0, q1, q2, q3);
    }

    private static void Kernel4x3(float* w, float* x, int k, float* y, int ldy)
    {
        const int Tile = RowTile * TokenTile;
        var sums = stackalloc Vector128<float>[4 * Tile];
        for (int quarter = 0; quarter < 4; quarter++)
        {
            QuarterLanes(w, x, k, 4 * quarter, sums + quarter * Tile);
        }
        for (int t = 0; t < TokenTile; t++)
        {
            for (int r = 0; r < RowTile; r++)
            {
                int i = r * TokenTile + t;
                y[(long)t * ldy + r] = SixteenLanes.Sum(sums[i], sums[Tile + i], sums[2 * Tile + i], sums[3 * Tile + i]);
            }
        }
    }

    /// <summary>Lanes <paramref name="offset"/>..offset+3 of the tile's twelve sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void QuarterLanes(float* w, float* x, int k, int offset, Vector128<float>* sums)
    {
        float* w0 = w + offset, w1 = w0 + k, w2 = w1 + k, w3 = w2 + k;
        float* x0 = x + offset, x1 = x0 + k, x2 = x1 + k;
        Vector128<float> c00 = default, c01 = default, c02 = default;
        Vector128<float> c10 = default, c11 = default, c12 = default;
        Vector128<float> c20 = default, c21 = default, c22 = default;
        Vector128<float> c30 = default, c31 = default, c32 = default;
        for (int l = 0; l < k; l += 16)
        {
            var b0 = Vector128.Load(x0 + l);
            var b1 = Vector128.Load(x1 + l);
            var b2 = Vector128.Load(x2 + l);
            var a = Vector128.Load(w0 + l);
            c00 = ExactFma.MultiplyAdd(a, b0, c00);
            c01 = ExactFma.MultiplyAdd(a, b1, c01);
            c02 = ExactFma.MultiplyAdd(a, b2, c02);
            a = Vector128.Load(w1 + l);
            c10 = ExactFma.MultiplyAdd(a, b0, c10);
            c11 = ExactFma.MultiplyAdd(a, b1, c11);
            c12 = ExactFma.MultiplyAdd(a, b2, c12);
            a = Vector128.Load(w2 + l);
            c20 = ExactFma.MultiplyAdd(a, b0, c20);
            c21 = ExactFma.MultiplyAdd(a, b1, c21);
            c22 = ExactFma.MultiplyAdd(a, b2, c22);
            a = Vector128.Load(w3 + l);
            c30 = ExactFma.MultiplyAdd(a, b0, c30);
            c31 = ExactFma.MultiplyAdd(a, b1, c31);
            c32 = ExactFma.MultiplyAdd(a, b2, c32);
        }
        sums[0] = c00; sums[1] = c01; sums[2] = c02;
        sums[3] = c10; sums[4] = c11; sums[5] = c12;
        sums[6] = c20; sums[7] = c21; sums[8] = c22;
        sums[9] = c30; sums[10] = c31; sums[11] = c32;
    }
}
